package dev.tooltune.gateway.tenancy;

import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;

/** Who is calling: the tenant and key of the API key {@link ApiKeyIdentityProvider} authenticated. */
@RequestScoped
public class Caller {
    @Inject
    SecurityIdentity identity;

    public String tenantId() {
        String tenantId = identity.isAnonymous() ? null : identity.getAttribute(ApiKeyIdentityProvider.TENANT);
        if (tenantId == null) {
            throw new IllegalStateException("no authenticated caller in this request");
        }
        return tenantId;
    }

    public String keyId() {
        return identity.isAnonymous() ? null : identity.getPrincipal().getName();
    }
}
