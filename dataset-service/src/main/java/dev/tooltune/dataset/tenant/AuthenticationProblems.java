package dev.tooltune.dataset.tenant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.contracts.InternalCalls;
import dev.tooltune.dataset.api.Problems;
import dev.tooltune.internalauth.InternalCallerRefusal;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The 401 as problem details naming the header, however the refusal comes: from the HTTP permissions, before any
 * resource runs (internal-auth's {@code InternalCallerAuthentication} challenge), or from a resource's own
 * {@code @RolesAllowed} (the mapper below).
 */
@ApplicationScoped
public class AuthenticationProblems implements InternalCallerRefusal {
    public static final String DETAIL = "dataset-service only serves internal callers: send the internal token in "
            + "header " + InternalCalls.TOKEN_HEADER;

    @Inject
    ObjectMapper json;

    @Override
    public void send(RoutingContext context) {
        String body;
        try {
            body = json.writeValueAsString(Problems.of(401, DETAIL, null));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        context.response().setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, Problems.MEDIA_TYPE).end(body);
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response refused() {
        return Problems.response(401, DETAIL, null);
    }
}
