package dev.tooltune.dataset.tenant;

import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * dataset-service is internal: only the gateway and trainer-service call it, and they prove it with the shared
 * secret ({@link InternalToken}) in header {@value #TOKEN_HEADER}. No header is an anonymous caller, which the HTTP
 * permissions in {@code application.properties} refuse everywhere but on Quarkus' own {@code /q/} endpoints; a wrong
 * token fails in {@link InternalTokenIdentityProvider}. Both get the challenge below, problem details from
 * {@link AuthenticationProblems}, before any resource runs, so before an upload's body is read.
 */
@ApplicationScoped
public class InternalCallerAuthentication implements HttpAuthenticationMechanism {
    public static final String TOKEN_HEADER = "X-Tooltune-Internal-Token";

    @Inject
    InternalToken token;
    @Inject
    AuthenticationProblems problems;

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identities) {
        String given = context.request().getHeader(TOKEN_HEADER);
        if (given == null && token.required()) {
            return Uni.createFrom().nullItem();
        }
        return identities.authenticate(HttpSecurityUtils.setRoutingContextAttribute(
                new InternalTokenRequest(given), context));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401));
    }

    /** The challenge with a body: {@link #getChallenge}'s status and headers cannot say what is missing. */
    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        problems.send(context.response());
        return Uni.createFrom().item(true);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(InternalTokenRequest.class);
    }
}
