package dev.tooltune.internalauth;

import io.vertx.ext.web.RoutingContext;

/**
 * The 401 a service answers to a caller without the right internal token, in that service's own error shape
 * (dataset-service: problem details; gateway: its internal API's {@code {"error": ...}}; inference-service: OpenAI's
 * error). Each service that depends on this module provides exactly one bean of this type.
 */
public interface InternalCallerRefusal {

    /** Writes and ends the 401 on {@code context}'s response. */
    void send(RoutingContext context);
}
