package dev.tooltune.internalauth;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The shared secret {@code tooltune.internal-token} (env TOOLTUNE_INTERNAL_TOKEN) that proves a caller is another
 * ToolTune service. Unset or blank (development): every caller is trusted, and a warning says so at start.
 */
@Singleton
public class InternalToken {
    private static final Logger LOG = Logger.getLogger(InternalToken.class);

    @ConfigProperty(name = "tooltune.internal-token")
    Optional<String> configured;

    void start(@Observes StartupEvent event) {
        if (!required()) {
            LOG.warn("tooltune.internal-token (TOOLTUNE_INTERNAL_TOKEN) is not set: every caller that can reach this "
                    + "service is trusted with every tenant's data. Set it everywhere but on a development machine.");
        }
    }

    /** Whether callers must send the token (false only on a development machine without one). */
    public boolean required() {
        return expected() != null;
    }

    /** Whether {@code given} proves an internal caller: equal to the token (compared in constant time), or none is set. */
    public boolean accepts(String given) {
        String expected = expected();
        if (expected == null) {
            return true;
        }
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }

    private String expected() {
        return configured.filter(t -> !t.isBlank()).orElse(null);
    }
}
