package dev.tooltune.gateway.tenancy;

import dev.tooltune.gateway.api.ErrorMappers;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * A resource's own {@code @Authenticated} refusing a caller (the second line, behind the HTTP permissions) answers
 * the same OpenAI 401 as {@link ApiKeyAuthentication#sendChallenge}.
 */
public class AuthenticationErrors {
    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response refused(ContainerRequestContext request) {
        return ErrorMappers.response(401, ApiKeyAuthentication.refusal(request.getHeaderString(HttpHeaders.AUTHORIZATION)));
    }
}
