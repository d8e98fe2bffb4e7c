package dev.tooltune.dataset.tenant;

import dev.tooltune.dataset.api.Problems;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every request past authentication says which tenant it acts for in {@value #TENANT_HEADER}: missing or not a
 * valid id is 400, whatever the token, since guessing a tenant is never safe. Pre-matching, so it too answers before
 * an upload's body is read. Quarkus' own endpoints under {@code /q/} (health, OpenAPI) need no tenant.
 */
public class TenantHeaderFilter {
    public static final String TENANT_HEADER = "X-Tooltune-Tenant";

    @Inject
    CallerTenant callerTenant;

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.startsWith("/q/") || path.equals("/q")) {
            return null;
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
}
