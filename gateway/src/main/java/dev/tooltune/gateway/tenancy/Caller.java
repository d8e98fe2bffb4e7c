package dev.tooltune.gateway.tenancy;

import jakarta.enterprise.context.RequestScoped;

/** Who is calling: set by {@link ApiKeyFilter} from the API key, read by every resource. */
@RequestScoped
public class Caller {
    private String tenantId;
    private String keyId;

    void authenticate(ApiKey key) {
        this.tenantId = key.tenantId;
        this.keyId = key.id;
    }

    public String tenantId() {
        if (tenantId == null) {
            throw new IllegalStateException("no authenticated caller in this request");
        }
        return tenantId;
    }

    public String keyId() {
        return keyId;
    }
}
