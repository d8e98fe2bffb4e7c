package dev.tooltune.gateway.claims;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.contracts.InternalCalls;
import dev.tooltune.internalauth.InternalCallerRefusal;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * The 401 of the internal API ({@code /internal/*}, {@link TrainingClaimsResource}) to a caller without the right
 * internal token, in that API's error shape {@code {"error": "..."}}; API keys on {@code /v1} answer OpenAI's instead.
 * Written by the mechanism's challenge (no token) or, as {@link #response}, by the mapper of a failed authentication
 * (a wrong token; tenancy/AuthenticationErrors).
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

    public static Response response() {
        return Response.status(401).type(MediaType.APPLICATION_JSON).entity(BODY).build();
    }
}
