package dev.tooltune.trainer.health;

import dev.tooltune.artifacts.ArtifactStore;
import dev.tooltune.artifacts.ArtifactStores;
import dev.tooltune.trainer.TrainerSettings;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the broker answers and the artifact store can be reached: its directory is writable, or its S3 bucket
 * answers (the store's own check, so that an {@code s3://} location is not mistaken for a local path).
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

    private final TrainerSettings settings;
    /** Opened on the first check and kept: an S3 store holds an HTTP client. */
    private volatile ArtifactStore store;

    ReadinessCheck(TrainerSettings settings) {
        this.settings = settings;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("trainer");
        boolean broker;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().clusterId().get(3, TimeUnit.SECONDS);
            broker = true;
        } catch (Exception e) {
            broker = false;
            response.withData("brokerError", String.valueOf(e.getMessage()));
        }
        boolean store;
        try {
            store = store().isReachable();
        } catch (RuntimeException e) {
            store = false;
            response.withData("artifactStoreError", String.valueOf(e.getMessage()));
        }
        return response.withData("broker", broker).withData("artifactStore", store).status(broker && store).build();
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
