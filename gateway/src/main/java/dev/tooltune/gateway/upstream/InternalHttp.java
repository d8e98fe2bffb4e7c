package dev.tooltune.gateway.upstream;

import dev.tooltune.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Requests to the internal services (dataset-service, inference-service): the tenant travels as
 * {@code X-Tooltune-Tenant}, the gateway proves itself with {@code X-Tooltune-Internal-Token}. The JDK client is
 * used (not a typed REST client) because the gateway passes bodies through in both directions as streams: uploads,
 * exports and chat completions are never held whole in memory.
 */
@ApplicationScoped
public class InternalHttp {
    public static final String TENANT_HEADER = "X-Tooltune-Tenant";
    public static final String TOKEN_HEADER = "X-Tooltune-Internal-Token";

    private final GatewayConfig config;
    private final Optional<String> internalToken;
    private final HttpClient client;

    public InternalHttp(GatewayConfig config,
                        @ConfigProperty(name = "tooltune.internal-token") Optional<String> internalToken) {
        this.config = config;
        this.internalToken = internalToken;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    public HttpClient client() {
        return client;
    }

    /** A request to {@code base + pathAndQuery} on behalf of the tenant. */
    public HttpRequest.Builder request(URI base, String pathAndQuery, String tenantId) {
        String root = base.toString().endsWith("/") ? base.toString().substring(0, base.toString().length() - 1)
                : base.toString();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(root + pathAndQuery))
                .timeout(config.upstreamTimeout())
                .header(TENANT_HEADER, tenantId);
        internalToken.ifPresent(token -> builder.header(TOKEN_HEADER, token));
        return builder;
    }
}
