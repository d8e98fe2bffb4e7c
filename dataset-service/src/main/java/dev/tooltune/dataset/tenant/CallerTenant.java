package dev.tooltune.dataset.tenant;

import jakarta.enterprise.context.RequestScoped;

/**
 * The tenant a request acts for, from header {@value TenantHeaderFilter#TENANT_HEADER}, set by
 * {@link TenantHeaderFilter} after authentication, before any resource runs. Resources only ever see their tenant's datasets.
 */
@RequestScoped
public class CallerTenant {
    private String id;

    void set(String id) {
        this.id = id;
    }

    /** The tenant id; never null inside a resource method (the filter answers 400 first). */
    public String id() {
        if (id == null) {
            throw new IllegalStateException("no tenant on this request");
        }
        return id;
    }
}
