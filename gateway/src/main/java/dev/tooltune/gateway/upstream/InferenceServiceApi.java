package dev.tooltune.gateway.upstream;

import dev.tooltune.contracts.InternalCalls;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.temporal.ChronoUnit;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestHeader;

/**
 * inference-service's API as the gateway calls it (REST client {@code inference-service}: URL and timeouts in
 * application.properties), on behalf of a tenant and with the internal token. Answers come back as the upstream's
 * {@link Response}, whatever its status, with the body as a stream (a chat completion's events are read as they
 * arrive).
 */
@RegisterRestClient(configKey = "inference-service")
@ClientHeaderParam(name = InternalCalls.TOKEN_HEADER, value = "{dev.tooltune.gateway.upstream.Upstream.internalToken}",
        required = false)
@Produces(MediaType.WILDCARD)
public interface InferenceServiceApi {

    /** A chat completion, streamed or not as the request says. Never retried: it is not idempotent. */
    @POST
    @Path("/v1/chat/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    Response chatCompletion(@RestHeader(Upstream.TENANT_HEADER) String tenant, String request);

    /**
     * The models inference-service serves for the tenant. The model list is only a hint for the gateway's own list
     * and checks, so it is asked with a short timeout, and not at all for a while after it failed repeatedly.
     */
    @GET
    @Path("/v1/models")
    @Timeout(value = 5, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 1, delay = 200, retryOn = ProcessingException.class)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 10, delayUnit = ChronoUnit.SECONDS)
    Response models(@RestHeader(Upstream.TENANT_HEADER) String tenant);
}
