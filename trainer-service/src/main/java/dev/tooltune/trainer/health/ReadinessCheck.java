package dev.tooltune.trainer.health;

import dev.tooltune.trainer.TrainerSettings;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the broker answers and the artifact store's directory is writable. */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

    private final TrainerSettings settings;

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
        String location = settings.artifacts();
        Path root = location.startsWith("file:") ? Path.of(java.net.URI.create(location)) : Path.of(location);
        boolean store = Files.isDirectory(root) ? Files.isWritable(root) : Files.isWritable(root.getParent() == null ? root : root.getParent());
        return response.withData("broker", broker).withData("artifactStore", store).status(broker && store).build();
    }
}
