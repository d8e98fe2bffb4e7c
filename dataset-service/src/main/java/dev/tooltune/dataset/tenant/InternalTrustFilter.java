package dev.tooltune.dataset.tenant;

import dev.tooltune.dataset.api.Problems;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * dataset-service is internal: only the gateway and trainer-service call it. They prove it with the shared
 * secret {@code tooltune.internal-token} in header {@value #TOKEN_HEADER} and say which tenant they act for
 * in {@value #TENANT_HEADER}.
 *
 * <ul>
 *   <li>Token configured: a request without it, or with another, gets 401 (compared in constant time).</li>
 *   <li>No token configured (development): every caller is trusted; a warning says so at start.</li>
 *   <li>Tenant header missing or not a valid id: 400, whatever the token, since guessing a tenant is never safe.</li>
 * </ul>
 * Quarkus' own endpoints under {@code /q/} (health, OpenAPI) need neither.
 */
@Singleton
public class InternalTrustFilter {
    public static final String TOKEN_HEADER = "X-Tooltune-Internal-Token";
    public static final String TENANT_HEADER = "X-Tooltune-Tenant";
    private static final Logger LOG = Logger.getLogger(InternalTrustFilter.class);

    @ConfigProperty(name = "tooltune.internal-token")
    Optional<String> internalToken;

    @Inject
    CallerTenant callerTenant;

    void start(@Observes StartupEvent event) {
        if (token() == null) {
            LOG.warn("tooltune.internal-token (TOOLTUNE_INTERNAL_TOKEN) is not set: every caller that can reach this "
                    + "service is trusted with every tenant's data. Set it everywhere but on a development machine.");
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/q/") || path.equals("/q")) {
            return null;
        }
        String expected = token();
        if (expected != null) {
            String given = request.getHeaderString(TOKEN_HEADER);
            if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
                return Problems.response(401, "dataset-service only serves internal callers: send the internal token in header "
                        + TOKEN_HEADER, null);
            }
        }
        String tenant = request.getHeaderString(TENANT_HEADER);
        if (tenant == null || tenant.isBlank()) {
            return Problems.response(400, "header " + TENANT_HEADER + " is missing: say which tenant the request is for", null);
        }
        if (!TenantIds.valid(tenant)) {
            return Problems.response(400, "header " + TENANT_HEADER + " is not a tenant id (1-128 letters, digits, '.', '_', '-')", null);
        }
        callerTenant.set(tenant);
        return null;
    }

    private String token() {
        return internalToken.filter(t -> !t.isBlank()).orElse(null);
    }
}
