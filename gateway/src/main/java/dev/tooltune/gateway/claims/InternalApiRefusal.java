package dev.tooltune.gateway.claims;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.contracts.InternalCalls;
import dev.tooltune.internalauth.InternalCallerRefusal;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * The 401 of the internal API ({@code /internal/*}, {@link TrainingClaimsResource}) to a caller without the right
 * internal token, in that API's error shape {@code {"error": "..."}}; API keys on {@code /v1} answer OpenAI's instead.
 */
@ApplicationScoped
public class InternalApiRefusal implements InternalCallerRefusal {
    private static final Map<String, String> BODY = Map.of("error",
            "internal API: send the internal token in header " + InternalCalls.TOKEN_HEADER);

    @Inject
    ObjectMapper json;

    @Override
    public void send(RoutingContext context) {
        String body;
        try {
            body = json.writeValueAsString(BODY);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        context.response().setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
    }
}
