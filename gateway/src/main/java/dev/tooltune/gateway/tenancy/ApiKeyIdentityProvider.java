package dev.tooltune.gateway.tenancy;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * A live (not revoked) API key is its tenant's caller: the principal is the key's id, and the identity carries the
 * tenant ({@link Caller} reads both). The lookup is a database query, so it runs on a worker thread.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyRequest> {
    static final String TENANT = "tooltune.tenant";

    @Inject
    ApiKeys keys;

    @Override
    public Class<ApiKeyRequest> getRequestType() {
        return ApiKeyRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyRequest request, AuthenticationRequestContext context) {
        return context.runBlocking(() -> keys.find(request.key())
                .map(key -> (SecurityIdentity) QuarkusSecurityIdentity.builder()
                        .setPrincipal(new QuarkusPrincipal(key.id))
                        .addAttribute(TENANT, key.tenantId)
                        .build())
                .orElseThrow(() -> new AuthenticationFailedException("no live API key with this text")));
    }
}
