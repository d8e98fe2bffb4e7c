package dev.tooltune.inference;

import dev.tooltune.contracts.Topics;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A per-run compacted adapters topic on the real broker of {@code KAFKA_BOOTSTRAP_SERVERS} (tests never share
 * topics with other modules' runs), and a fresh artifact store directory and adapter cache directory.
 */
public class KafkaTopicResource implements QuarkusTestResourceLifecycleManager {
    public static final String INTERNAL_TOKEN = "test-internal-token";
    static String bootstrap;
    static String topic;
    static Path artifacts;
    static Path cache;

    @Override
    public Map<String, String> start() {
        bootstrap = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
        topic = "adapters-it-" + UUID.randomUUID();
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(properties)) {
            admin.createTopics(List.of(new NewTopic(topic, Topics.ADAPTERS.partitions(), (short) 1)
                    .configs(Map.of("cleanup.policy", "compact")))).all().get();
            artifacts = Files.createTempDirectory("inference-it-artifacts");
            cache = Files.createTempDirectory("inference-it-cache");
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + topic + " on " + bootstrap
                    + " (start a broker: KAFKA_PORT=... scripts/kafka.sh start; export KAFKA_BOOTSTRAP_SERVERS)", e);
        }
        return Map.of(
                "tooltune.inference.kafka.bootstrap-servers", bootstrap,
                "tooltune.inference.adapters.topic", topic,
                "tooltune.inference.adapters.artifacts-directory", artifacts.toString(),
                "tooltune.inference.adapters.cache-directory", cache.toString(),
                "tooltune.inference.adapters.device-cache-size", "2",
                "tooltune.inference.model.id", TestBaseModel.ID,
                "tooltune.inference.model.device", "cpu",
                // Small for the 429 test; the benchmark's 16 clients must all fit.
                "tooltune.inference.serving.max-queued", Boolean.getBoolean("tooltune.bench") ? "64" : "6",
                "tooltune.internal-token", INTERNAL_TOKEN);
    }

    @Override
    public void stop() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(properties)) {
            admin.deleteTopics(List.of(topic)).all().get();
        } catch (Exception ignored) {
            // the broker may be gone already; the topic name is unique to this run
        }
    }
}
