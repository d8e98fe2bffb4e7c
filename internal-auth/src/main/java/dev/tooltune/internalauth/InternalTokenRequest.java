package dev.tooltune.internalauth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** What a caller sent in {@value dev.tooltune.contracts.InternalCalls#TOKEN_HEADER} (null: nothing). */
public class InternalTokenRequest extends BaseAuthenticationRequest {
    private final String token;

    public InternalTokenRequest(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }
}
