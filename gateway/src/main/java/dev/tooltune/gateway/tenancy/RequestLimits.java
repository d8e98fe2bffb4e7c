package dev.tooltune.gateway.tenancy;

import dev.tooltune.gateway.api.ErrorMappers;
import dev.tooltune.gateway.api.OpenAiError;
import dev.tooltune.gateway.config.GatewayConfig;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every authenticated {@code /v1/} request: within its key's rate (429 with Retry-After), and a JSON body within the
 * JSON size limit (413). Runs after authentication ({@link ApiKeyAuthentication}, which refuses first with 401).
 * Uploads are held to {@code quarkus.http.limits.max-body-size} by the HTTP layer.
 */
public class RequestLimits {
    @Inject
    Caller caller;
    @Inject
    RateLimiter rateLimiter;
    /** A provider: filters are built while Quarkus starts, before configuration mappings can be injected. */
    @Inject
    Provider<GatewayConfig> configuration;

    @ServerRequestFilter
    public Optional<Response> limit(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/") && !path.equals("/v1")) {
            return Optional.empty();
        }
        GatewayConfig config = configuration.get();
        long waitSeconds = rateLimiter.tryAcquire(caller.keyId());
        if (waitSeconds > 0) {
            return Optional.of(Response.fromResponse(error(429, "Rate limit reached for this API key: "
                            + config.rateLimit().burst() + " requests at once, "
                            + config.rateLimit().perSecond() + " per second. Try again in " + waitSeconds
                            + "s.", "requests", "rate_limit_exceeded"))
                    .header("Retry-After", waitSeconds).build());
        }
        MediaType type = request.getMediaType();
        long maxJson = config.limits().maxJsonBytes();
        if (type != null && type.isCompatible(MediaType.APPLICATION_JSON_TYPE) && request.getLength() > maxJson) {
            return Optional.of(error(413, "Request body of " + request.getLength() + " bytes is larger than the "
                    + maxJson + " bytes allowed for JSON requests.", "invalid_request_error", "request_too_large"));
        }
        return Optional.empty();
    }

    private static Response error(int status, String message, String type, String code) {
        return ErrorMappers.response(status, OpenAiError.of(message, type, code));
    }
}
