package dev.tooltune.trainer.health;

import dev.tooltune.artifacts.ArtifactStore;
import dev.tooltune.artifacts.ArtifactStores;
import dev.tooltune.trainer.TrainerSettings;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the artifact store can be reached: its directory is writable, or its S3 bucket answers (the store's own
 * check, so that an {@code s3://} location is not mistaken for a local path). The broker is the Kafka extension's
 * readiness checks' part (quarkus.kafka.health.enabled and the channels' own, application.properties).
 */
@Readiness
@ApplicationScoped
public class ArtifactStoreCheck implements HealthCheck {

    private final TrainerSettings settings;
    /** Opened on the first check and kept: an S3 store holds an HTTP client. */
    private volatile ArtifactStore store;

    ArtifactStoreCheck(TrainerSettings settings) {
        this.settings = settings;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("trainer artifact store");
        boolean reachable;
        try {
            reachable = store().isReachable();
        } catch (RuntimeException e) {
            reachable = false;
            response.withData("artifactStoreError", String.valueOf(e.getMessage()));
        }
        return response.withData("artifactStore", reachable).status(reachable).build();
    }

    private ArtifactStore store() {
        ArtifactStore opened = store;
        if (opened == null) {
            synchronized (this) {
                if (store == null) {
                    store = ArtifactStores.open(settings.artifacts(), "tooltune.trainer.artifacts (tooltune.artifacts.uri)");
                }
                opened = store;
            }
        }
        return opened;
    }
}
