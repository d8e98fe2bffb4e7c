package dev.tooltune.gateway.tenancy;

import dev.tooltune.gateway.api.ErrorMappers;
import dev.tooltune.gateway.api.OpenAiError;
import dev.tooltune.gateway.config.GatewayConfig;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every {@code /v1/} request: a live API key (401), within its rate (429 with Retry-After), and a JSON body within
 * the JSON size limit (413). Uploads are held to {@code quarkus.http.limits.max-body-size} by the HTTP layer.
 */
public class ApiKeyFilter {
    @Inject
    ApiKeys keys;
    @Inject
    Caller caller;
    @Inject
    RateLimiter rateLimiter;
    /** A provider: filters are built while Quarkus starts, before configuration mappings can be injected. */
    @Inject
    Provider<GatewayConfig> configuration;

    @ServerRequestFilter
    public Optional<Response> authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        GatewayConfig config = configuration.get();
        if (!path.startsWith("/v1/") && !path.equals("/v1")) {
            return Optional.empty();
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(error(401, "You didn't provide an API key. You need to provide your API key in an "
                    + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    "invalid_request_error", "missing_api_key"));
        }
        String key = header.substring(7).trim();
        Optional<ApiKey> found = keys.find(key);
        if (found.isEmpty()) {
            return Optional.of(error(401, "Incorrect API key provided: " + redact(key) + ".",
                    "invalid_request_error", "invalid_api_key"));
        }
        caller.authenticate(found.get());
        long waitSeconds = rateLimiter.tryAcquire(found.get().id);
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

    /** Like OpenAI: the start and end of what was sent, never the whole text. */
    private static String redact(String key) {
        return key.length() <= 8 ? "****" : key.substring(0, 3) + "*".repeat(4) + key.substring(key.length() - 4);
    }
}
