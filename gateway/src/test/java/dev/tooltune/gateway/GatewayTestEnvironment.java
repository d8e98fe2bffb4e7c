package dev.tooltune.gateway;

import dev.tooltune.testing.DatabaseLink;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the gateway's tests talk to, real: its own PostgreSQL database, this run's Kafka topics, dataset-service
 * as a process (its built quarkus-run.jar, own port and database, the internal token required) and the
 * {@link FakeInference} upstream.
 */
public class GatewayTestEnvironment implements QuarkusTestResourceLifecycleManager {
    public static final String INTERNAL_TOKEN = "test-internal-token";
    public static final String DATABASE = TestDatabases.name("tooltune_gateway_test", "");
    public static final String DATASET_DATABASE = TestDatabases.name("tooltune_gateway_datasets_test", "_datasets");

    public static TestKafka.Topics topics;
    public static FakeInference inference;
    /** The gateway reaches its database through this link, which a test may cut (a PostgreSQL restart). */
    public static DatabaseLink database;
    public static String jdbcUrl;
    private Process datasetService;

    @Override
    public Map<String, String> start() {
        jdbcUrl = TestDatabases.fresh(DATABASE);
        topics = TestKafka.createTopics();
        inference = new FakeInference();
        String datasetUrl = startDatasetService();
        Map<String, String> config = new HashMap<>(topics.config());
        database = DatabaseLink.to(jdbcUrl);
        config.put("quarkus.datasource.jdbc.url", database.jdbcUrl(jdbcUrl));
        config.put("quarkus.datasource.username", TestDatabases.USER);
        config.put("quarkus.datasource.password", TestDatabases.PASSWORD);
        config.put("tooltune.gateway.kafka.events-group", "gateway-test-" + topics.trainingEvents());
        config.put("tooltune.internal-token", INTERNAL_TOKEN);
        config.put("tooltune.gateway.dataset-service.url", datasetUrl);
        config.put("tooltune.gateway.inference-service.url", inference.url());
        config.put("tooltune.gateway.rate-limit.burst", "40");
        config.put("tooltune.gateway.rate-limit.per-second", "10");
        config.put("tooltune.gateway.events.poll-interval", "PT0.1S");
        config.put("tooltune.gateway.outbox.poll-interval", "0.2s");
        // A record the broker cannot take (a topic it does not have) is refused after this, not after 30 s.
        config.put("mp.messaging.outgoing.outbox.max.block.ms", "2000");
        config.put("tooltune.gateway.jobs.watchdog-interval", "PT0.5S");
        return config;
    }

    private String startDatasetService() {
        Path jar = Path.of("..", "dataset-service", "target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException("dataset-service is not built: " + jar + " is missing (build with "
                    + "mvn -pl gateway -am verify, which packages dataset-service first)");
        }
        int port = freePort();
        Path log = Path.of("target", "dataset-service-test.log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(List.of(javaBinary(), "-Xmx384m", "-XX:+UseSerialGC",
                "-jar", jar.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        env.put("QUARKUS_DATASOURCE_JDBC_URL", TestDatabases.fresh(DATASET_DATABASE));
        env.put("QUARKUS_DATASOURCE_USERNAME", TestDatabases.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", TestDatabases.PASSWORD);
        env.put("TOOLTUNE_INTERNAL_TOKEN", INTERNAL_TOKEN);
        env.put("TOOLTUNE_DATASET_TOKENS_COUNT_AFTER_IMPORT", "false");
        try {
            datasetService = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start dataset-service", e);
        }
        String url = "http://127.0.0.1:" + port;
        awaitHealthy(url, datasetService, log);
        return url;
    }

    static void awaitHealthy(String url, Process process, Path log) {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("process for " + url + " exited with " + process.exitValue()
                        + "; see " + log);
            }
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + "/q/health/ready"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException(url + " did not become healthy in 120 s; see " + log);
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (datasetService != null) {
            datasetService.destroy();
            try {
                datasetService.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (inference != null) {
            inference.stop();
        }
    }

    static File repositoryRoot() {
        return Path.of("..").toAbsolutePath().normalize().toFile();
    }
}
