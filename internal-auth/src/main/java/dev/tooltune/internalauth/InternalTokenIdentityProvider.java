package dev.tooltune.internalauth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** An internal token that matches is the caller {@value #ROLE}; any other fails authentication (401). */
@ApplicationScoped
public class InternalTokenIdentityProvider implements IdentityProvider<InternalTokenRequest> {
    /** The role of an internal caller, which a service's internal resources require. */
    public static final String ROLE = "internal-caller";

    @Inject
    InternalToken token;

    @Override
    public Class<InternalTokenRequest> getRequestType() {
        return InternalTokenRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(InternalTokenRequest request, AuthenticationRequestContext context) {
        if (!token.accepts(request.token())) {
            return Uni.createFrom().failure(new AuthenticationFailedException("wrong internal token"));
        }
        return Uni.createFrom().item(QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(ROLE))
                .addRole(ROLE)
                .build());
    }
}
