package dev.tooltune.inference.api;

import dev.tooltune.contracts.InternalCalls;
import dev.tooltune.internalauth.InternalCallerRefusal;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The 401 on {@code /v1/*} to a caller without the right internal token (internal-auth's mechanism, required by the
 * HTTP permission in application.properties), in OpenAI's error shape like every other answer of this API.
 */
@ApplicationScoped
public class InternalTokenRefusal implements InternalCallerRefusal {

    @Override
    public void send(RoutingContext context) {
        ChatCompletionsRoutes.fail(context, new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                "Missing or wrong " + InternalCalls.TOKEN_HEADER + " header."));
    }
}
