package dev.tooltune.gateway.tenancy;

import dev.tooltune.gateway.api.ErrorMappers;
import dev.tooltune.gateway.claims.InternalApiRefusal;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * A credential that fails authentication (authentication is lazy, so the failure comes here, not to a mechanism's
 * challenge) or a resource's own {@code @Authenticated} refusing a caller (the second line, behind the HTTP
 * permissions) answers the 401 of the mechanism the path's permission chose (application.properties): on {@code /v1}
 * the same OpenAI 401 as {@link ApiKeyAuthentication#sendChallenge}, on {@code /internal} the internal token's
 * ({@link InternalApiRefusal}).
 */
public class AuthenticationErrors {
    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response refused(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.equals("/internal") || path.startsWith("/internal/")) {
            return InternalApiRefusal.response();
        }
        return ErrorMappers.response(401, ApiKeyAuthentication.refusal(request.getHeaderString(HttpHeaders.AUTHORIZATION)));
    }
}
