package dev.tooltune.gateway.tenancy;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** The key a caller sent in {@code Authorization: Bearer}. */
public class ApiKeyRequest extends BaseAuthenticationRequest {
    private final String key;

    public ApiKeyRequest(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }
}
