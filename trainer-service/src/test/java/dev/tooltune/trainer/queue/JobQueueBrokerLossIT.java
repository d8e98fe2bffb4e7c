package dev.tooltune.trainer.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.trainer.TrainerSettings;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The job queue outlives a broker that lost its data (issue #21: a broker whose storage is gone comes back empty, as
 * after a disk loss). The share group is gone with the data, and kafka-clients' share consumer turns fatal
 * ({@code GroupIdNotFoundException}); the queue used to end there, leaving a worker that was up and never took another
 * job. Runs on a throwaway broker of its own ({@code scripts/kafka.sh} on a free port), never the shared one.
 */
class JobQueueBrokerLossIT {

    @Test
    void aBrokerThatLostItsDataDoesNotStopTheQueue() throws Exception {
        int port = freePortPair();
        Path dir = Files.createTempDirectory("jobqueue-broker-");
        String bootstrap = "localhost:" + port;
        kafka("start", port, dir);
        JobQueue queue = null;
        Thread runner = null;
        try {
            TrainerSettings settings = settings(bootstrap);
            String jobs = settings.topics().jobs();
            JobQueue.configureGroup(settings);
            BlockingQueue<String> taken = new LinkedBlockingQueue<>();
            CompletableFuture<JobLease> longJob = new CompletableFuture<>();
            JobQueue started = new JobQueue(settings, "broker-loss-it");
            queue = started;
            runner = new Thread(() -> started.run((record, delivery) -> {
                taken.add(record.key());
                return record.key().equals("long-job") ? longJob : CompletableFuture.completedFuture(JobLease.ACCEPT);
            }, 0), "job-queue-it");
            runner.start();

            // 1. The data is lost while the queue is idle: its consumer joins the recreated group without a word.
            send(bootstrap, jobs, "job-before-the-loss");
            assertEquals("job-before-the-loss", taken.poll(90, TimeUnit.SECONDS), "the queue took no job at all");
            kafka("wipe", port, dir); // every message, topic, group and group config is lost
            kafka("start", port, dir);
            send(bootstrap, jobs, "job-after-an-idle-loss");
            assertEquals("job-after-an-idle-loss", taken.poll(120, TimeUnit.SECONDS),
                    "after the broker lost its data the idle queue took no job (sent right after the broker came back)");

            // 2. The data is lost while a job runs: renewing its lock fails for good (GroupIdNotFoundException).
            send(bootstrap, jobs, "long-job");
            assertEquals("long-job", taken.poll(90, TimeUnit.SECONDS), "the queue did not take the long job");
            kafka("wipe", port, dir);
            kafka("start", port, dir);
            Thread.sleep(settings.lockRenewal().toMillis() * 2); // the queue tries to renew and fails meanwhile
            longJob.complete(JobLease.ACCEPT);
            send(bootstrap, jobs, "job-after-a-loss-mid-job");
            assertEquals("job-after-a-loss-mid-job", taken.poll(120, TimeUnit.SECONDS),
                    "after the broker lost its data under a running job the queue took no other job");
            assertTrue(runner.isAlive(), "the queue's thread ended");
        } finally {
            if (queue != null) {
                queue.stop();
                runner.join(30_000);
            }
            kafka("wipe", port, dir);
        }
    }

    private static TrainerSettings settings(String bootstrap) {
        return new SmallRyeConfigBuilder()
                .withMapping(TrainerSettings.class)
                .withSources(new PropertiesConfigSource(Map.of(
                        "tooltune.trainer.bootstrap-servers", bootstrap,
                        "tooltune.trainer.lock-duration", "PT15S",
                        "tooltune.trainer.lock-renewal", "PT5S"), "JobQueueBrokerLossIT", 500))
                .build()
                .getConfigMapping(TrainerSettings.class);
    }

    private static void send(String bootstrap, String topic, String key) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, new byte[] {1})).get(60, TimeUnit.SECONDS);
        }
    }

    /** scripts/kafka.sh with this test's own port and directory. */
    private static void kafka(String command, int port, Path dir) throws IOException, InterruptedException {
        Path script = Path.of("..", "scripts", "kafka.sh").toAbsolutePath().normalize();
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolveSibling(dir.getFileName() + "-kafka.log").toFile()));
        builder.environment().put("KAFKA_PORT", String.valueOf(port));
        builder.environment().put("KAFKA_DIR", dir.toString());
        Process process = builder.start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("scripts/kafka.sh " + command + " took over 180 s");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("scripts/kafka.sh " + command + " failed (" + process.exitValue() + "); see "
                    + dir.resolveSibling(dir.getFileName() + "-kafka.log"));
        }
    }

    /** A free port whose next port (the broker's controller listener) is free too. */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket first = new ServerSocket(0)) {
                int port = first.getLocalPort();
                try (ServerSocket second = new ServerSocket(port + 1)) {
                    return port;
                } catch (IOException taken) {
                    // try another
                }
            }
        }
        throw new IOException("no two consecutive free ports");
    }
}
