package dev.tooltune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.JobCreateParams;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.jobs.TrainingJob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The outbox survives a crash: the packaged gateway runs as a real process with its relay held back
 * (tooltune.gateway.outbox.enabled=false), so a created job is committed but not yet sent; the process is killed
 * with SIGKILL; nothing is on training-jobs. A new gateway process on the same database, relay on, sends the job:
 * exactly one record arrives, and its row is marked sent.
 */
class OutboxCrashIT {
    private static final String DATABASE = TestDatabases.name("tooltune_gateway_crash_it", "_crash");
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process process : started) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    @Test
    void aJobCommittedBeforeACrashIsSentExactlyOnceAfterRestart() throws Exception {
        String jdbcUrl = TestDatabases.fresh(DATABASE);
        TestKafka.Topics topics = TestKafka.createTopics();

        Process first = startGateway(jdbcUrl, topics, false);
        String tenant = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        String key = "tt-" + UUID.randomUUID() + UUID.randomUUID();
        try (Connection db = TestDatabases.connect(jdbcUrl); Statement sql = db.createStatement()) {
            // A tenant, a key and a file as the admin script and an upload would leave them.
            sql.execute("insert into tenant (id) values ('" + tenant + "')");
            sql.execute("insert into api_key (id, tenant_id, key_hash, key_prefix) values ('key_crash', '" + tenant
                    + "', '" + sha256(key) + "', '" + key.substring(0, 10) + "')");
            sql.execute("insert into file (id, tenant_id, filename, purpose, bytes, dataset_id, dataset_version) "
                    + "values ('file-crash', '" + tenant + "', 'train.jsonl', 'fine-tune', 100, 'ds-crash', 1)");
        }
        FineTuningJob job = client(first, key).fineTuning().jobs().create(JobCreateParams.builder()
                .model("tooltune/gemma-3-tiny-random").trainingFile("file-crash").suffix("crash").build());
        assertEquals(List.of(false), outboxSent(jdbcUrl, job.id()), "committed, not yet relayed");

        first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, nothing graceful
        first.waitFor();
        assertTrue(TestKafka.readAll(topics.trainingJobs(), r -> job.id().equals(r.key())).isEmpty(),
                "nothing was sent before the crash");

        Process second = startGateway(jdbcUrl, topics, true);
        for (int attempt = 0; attempt < 120 && !outboxSent(jdbcUrl, job.id()).equals(List.of(true)); attempt++) {
            Thread.sleep(250);
        }
        assertEquals(List.of(true), outboxSent(jdbcUrl, job.id()), "relayed after the restart");
        List<ConsumerRecord<String, byte[]>> records = TestKafka.readAll(topics.trainingJobs(),
                r -> job.id().equals(r.key()));
        assertEquals(1, records.size(), "exactly one training-jobs record for the job");
        TrainingJob sent = (TrainingJob) MessageCodec.TRAINING_JOBS.decode(records.get(0).value());
        assertEquals(tenant, sent.tenantId());
        assertEquals("crash", sent.adapterName());
        assertEquals("ds-crash", sent.trainingData().datasetId());
        assertEquals(job.id(), client(second, key).fineTuning().jobs().retrieve(job.id()).id());
        assertTrue(second.isAlive(), "the restarted gateway keeps running");
    }

    private int port(Process process) {
        return Integer.parseInt(process.info().arguments().map(args -> {
            for (String arg : args) {
                if (arg.startsWith("-Dquarkus.http.port=")) {
                    return arg.substring("-Dquarkus.http.port=".length());
                }
            }
            return "0";
        }).orElse("0"));
    }

    private OpenAIClient client(Process gateway, String key) {
        return OpenAIOkHttpClient.builder().apiKey(key).baseUrl("http://127.0.0.1:" + port(gateway) + "/v1")
                .maxRetries(0).build();
    }

    private Process startGateway(String jdbcUrl, TestKafka.Topics topics, boolean relay) throws Exception {
        Path jar = Path.of(System.getProperty("gateway.jar", "target/quarkus-app/quarkus-run.jar"));
        int port = GatewayTestEnvironment.freePort();
        Path log = Path.of("target", "gateway-crash-it-" + started.size() + ".log").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(GatewayTestEnvironment.javaBinary(), "-Xmx256m",
                "-XX:+UseSerialGC", "-Dquarkus.http.port=" + port, "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl);
        env.put("QUARKUS_DATASOURCE_USERNAME", TestDatabases.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", TestDatabases.PASSWORD);
        env.put("TOOLTUNE_GATEWAY_OUTBOX_ENABLED", String.valueOf(relay));
        env.put("TOOLTUNE_GATEWAY_KAFKA_BOOTSTRAP_SERVERS", TestKafka.BOOTSTRAP);
        env.put("TOOLTUNE_GATEWAY_KAFKA_EVENTS_GROUP", "gateway-crash-it-" + topics.trainingEvents());
        env.put("TOOLTUNE_GATEWAY_TOPICS_TRAINING_JOBS", topics.trainingJobs());
        env.put("TOOLTUNE_GATEWAY_TOPICS_TRAINING_CANCELS", topics.trainingCancels());
        env.put("TOOLTUNE_GATEWAY_TOPICS_TRAINING_EVENTS", topics.trainingEvents());
        env.put("TOOLTUNE_GATEWAY_TOPICS_ADAPTERS", topics.adapters());
        Process process = builder.start();
        started.add(process);
        GatewayTestEnvironment.awaitHealthy("http://127.0.0.1:" + port, process, log);
        return process;
    }

    /** sent_at is set, per outbox row of the job (one row expected). */
    private static List<Boolean> outboxSent(String jdbcUrl, String jobId) throws Exception {
        try (Connection db = TestDatabases.connect(jdbcUrl); PreparedStatement query = db.prepareStatement(
                "select sent_at is not null from outbox_message where record_key = ? order by id")) {
            query.setString(1, jobId);
            List<Boolean> sent = new ArrayList<>();
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    sent.add(rs.getBoolean(1));
                }
            }
            return sent;
        }
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
