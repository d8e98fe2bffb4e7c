package dev.tooltune.internalauth;

import dev.tooltune.contracts.InternalCalls;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * An internal caller (the gateway, trainer-service) proves what it is with the shared secret ({@link InternalToken})
 * in header {@value InternalCalls#TOKEN_HEADER}. No header, or a token {@link InternalTokenIdentityProvider} does not
 * accept, is an anonymous caller, whom a service's HTTP permissions refuse where they require one, with the service's
 * {@link InternalCallerRefusal} from {@link #sendChallenge}, before any resource or route runs, so before a body is
 * read. Where a service has other mechanisms too (the gateway's API keys), its permissions name this one by
 * {@value #SCHEME} ({@code quarkus.http.auth.permission.<name>.auth-mechanism}).
 */
@ApplicationScoped
public class InternalCallerAuthentication implements HttpAuthenticationMechanism {
    /** The name HTTP permissions select this mechanism by. */
    public static final String SCHEME = "internal-token";

    @Inject
    InternalToken token;
    @Inject
    InternalCallerRefusal refusal;

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identities) {
        String given = context.request().getHeader(InternalCalls.TOKEN_HEADER);
        if (given == null && token.required()) {
            return Uni.createFrom().nullItem();
        }
        // A wrong token is refused like a missing one, by the challenge below: left as a failure, it would reach
        // whatever handles a failed lazy authentication instead (Quarkus REST's exception mappers, or a bare 401),
        // not the service's own 401 body.
        return identities.authenticate(HttpSecurityUtils.setRoutingContextAttribute(
                new InternalTokenRequest(given), context))
                .onFailure(AuthenticationFailedException.class).recoverWithNull();
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401));
    }

    /** The challenge with a body: {@link #getChallenge}'s status and headers cannot say what is missing. */
    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        refusal.send(context);
        return Uni.createFrom().item(true);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(InternalTokenRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.OTHER_HEADER,
                InternalCalls.TOKEN_HEADER, SCHEME));
    }
}
