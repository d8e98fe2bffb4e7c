package dev.tooltune.dataset.tenant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.dataset.api.Problems;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The 401 as problem details naming the header, however the refusal comes: from the HTTP permissions, before any
 * resource runs ({@link InternalCallerAuthentication#sendChallenge}), or from a resource's own {@code @RolesAllowed}
 * (the mapper below).
 */
@ApplicationScoped
public class AuthenticationProblems {
    public static final String DETAIL = "dataset-service only serves internal callers: send the internal token in "
            + "header " + InternalCallerAuthentication.TOKEN_HEADER;

    @Inject
    ObjectMapper json;

    /** Writes and ends the 401. */
    void send(HttpServerResponse response) {
        String body;
        try {
            body = json.writeValueAsString(Problems.of(401, DETAIL, null));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        response.setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, Problems.MEDIA_TYPE).end(body);
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response refused() {
        return Problems.response(401, DETAIL, null);
    }
}
