package dev.tooltune.gateway.upstream;

import dev.tooltune.contracts.InternalCalls;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What every call to an internal service (dataset-service, inference-service) carries: the tenant as
 * {@code X-Tooltune-Tenant}, and the gateway's proof as {@value InternalCalls#TOKEN_HEADER}.
 */
public final class Upstream {
    public static final String TENANT_HEADER = "X-Tooltune-Tenant";

    /** The shared internal token (TOOLTUNE_INTERNAL_TOKEN); unset: no header is sent. */
    public static String internalToken() {
        return ConfigProvider.getConfig().getOptionalValue("tooltune.internal-token", String.class).orElse(null);
    }

    private Upstream() {
    }
}
