package dev.tooltune.gateway.tenancy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.gateway.api.OpenAiError;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * The API key, as OpenAI takes it: {@code Authorization: Bearer <key>}. No such header is an anonymous caller, whom
 * the HTTP permissions in {@code application.properties} refuse on {@code /v1/**}; a key is looked up by
 * {@link ApiKeyIdentityProvider}. Either refusal is OpenAI's 401 body ({@code missing_api_key} /
 * {@code invalid_api_key}), written by {@link #sendChallenge} since a challenge's status and headers cannot carry it.
 * The gateway also has internal-auth's mechanism (the internal token, for {@code /internal/*}); the HTTP permissions
 * name which one a path takes, this one by {@value #SCHEME}.
 */
@ApplicationScoped
public class ApiKeyAuthentication implements HttpAuthenticationMechanism {
    /** The name HTTP permissions select this mechanism by. */
    public static final String SCHEME = "api-key";

    @Inject
    ObjectMapper json;

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identities) {
        String key = bearerKey(context.request().getHeader(HttpHeaders.AUTHORIZATION));
        if (key == null) {
            return Uni.createFrom().nullItem();
        }
        return identities.authenticate(HttpSecurityUtils.setRoutingContextAttribute(new ApiKeyRequest(key), context));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401));
    }

    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        String body;
        try {
            body = json.writeValueAsString(refusal(context.request().getHeader(HttpHeaders.AUTHORIZATION)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        context.response().setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
        return Uni.createFrom().item(true);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiKeyRequest.class);
    }

    @Override
    public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
        return Uni.createFrom().item(new HttpCredentialTransport(HttpCredentialTransport.Type.AUTHORIZATION, "bearer",
                SCHEME));
    }

    /** OpenAI's 401 body for a request with this {@code Authorization} header (null: none). */
    public static OpenAiError refusal(String authorization) {
        String key = bearerKey(authorization);
        if (key == null) {
            return OpenAiError.of("You didn't provide an API key. You need to provide your API key in an "
                    + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    "invalid_request_error", "missing_api_key");
        }
        return OpenAiError.of("Incorrect API key provided: " + redact(key) + ".", "invalid_request_error",
                "invalid_api_key");
    }

    /** The key in {@code Bearer <key>} (scheme case-insensitive), or null where there is no such header. */
    private static String bearerKey(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorization.substring(7).trim();
    }

    /** Like OpenAI: the start and end of what was sent, never the whole text. */
    private static String redact(String key) {
        return key.length() <= 8 ? "****" : key.substring(0, 3) + "*".repeat(4) + key.substring(key.length() - 4);
    }
}
