package dev.tooltune.trainer.queue;

import dev.tooltune.trainer.TrainerSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The job queue: a Kafka share group ({@code tooltune-trainers}) on the jobs topic, read with kafka-clients'
 * {@link KafkaShareConsumer} in explicit acknowledgement mode, one record at a time.
 *
 * <p>While a job runs, this thread renews the record's acquisition lock ({@link AcknowledgeType#RENEW} + commit)
 * every {@code lockRenewal}, and does not poll: in kafka-clients 4.2 a poll after RENEW hands the renewed record
 * back (KAFKA-20458). When the job ends the record is ACCEPTed (final state) or RELEASEd (shutdown: another worker
 * takes it and resumes from its checkpoint). A worker that dies holds the lock until it expires, then the broker
 * delivers the job again; after {@code deliveryLimit} deliveries it archives the record (a poison job).
 *
 * <p>SmallRye's share-group connector is not used: it acknowledges from the message's processing result and has
 * no way to renew a lock for the minutes to hours a job runs.
 */
public final class JobQueue implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobQueue.class);

    /** Runs one job: (record, delivery count) to a future that completes when the job ends. */
    public interface Handler extends BiFunction<ConsumerRecord<String, byte[]>, Integer, CompletableFuture<JobLease>> {}

    private final TrainerSettings settings;
    private final KafkaShareConsumer<String, byte[]> consumer;
    private volatile boolean running = true;

    public JobQueue(TrainerSettings settings, String clientId) {
        this.settings = settings;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put("share.acknowledgement.mode", "explicit");
        p.put("share.acquire.mode", "record_limit"); // one job per worker: never acquire more than we run
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        consumer = new KafkaShareConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(settings.topics().jobs()));
    }

    /**
     * Sets the share group's configs: reads from the earliest record (a job submitted before the first worker
     * started is not lost), the lock duration, renewals allowed, the delivery limit. A config this broker does not
     * know is logged and skipped.
     */
    public static void configureGroup(TrainerSettings settings) {
        Properties p = new Properties();
        p.put("bootstrap.servers", settings.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, settings.group());
            Map<String, String> configs = Map.of(
                    "share.auto.offset.reset", "earliest",
                    "share.record.lock.duration.ms", String.valueOf(settings.lockDuration().toMillis()),
                    "share.renew.acknowledge.enable", "true",
                    "share.delivery.count.limit", String.valueOf(settings.deliveryLimit()));
            configs.forEach((name, value) -> {
                try {
                    admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(new ConfigEntry(name, value),
                            AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
                    LOG.infof("share group %s: %s=%s", settings.group(), name, value);
                } catch (ExecutionException e) {
                    LOG.warnf("share group %s: could not set %s=%s (%s); the broker's default applies", settings.group(),
                            name, value, e.getCause().getMessage());
                } catch (InterruptedException | TimeoutException e) {
                    throw new IllegalStateException("could not configure share group " + settings.group(), e);
                }
            });
        }
    }

    /** Takes jobs one at a time until {@link #stop}; each handled to its end before the next is taken. */
    public void run(Handler handler, int stopAfterJobs) {
        int handled = 0;
        while (running) {
            ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofSeconds(1));
            for (ConsumerRecord<String, byte[]> record : records) {
                if (!running || (stopAfterJobs > 0 && handled >= stopAfterJobs)) {
                    consumer.acknowledge(record, AcknowledgeType.RELEASE);
                    continue;
                }
                int deliveries = record.deliveryCount().map(Number::intValue).orElse(1);
                JobLease lease = hold(record, handler.apply(record, deliveries));
                consumer.acknowledge(record, lease == JobLease.ACCEPT ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
                handled++;
            }
            if (!records.isEmpty()) {
                consumer.commitSync();
            }
            if (stopAfterJobs > 0 && handled >= stopAfterJobs) {
                running = false;
            }
        }
    }

    /** Waits for the job, renewing its lock; a job that throws is accepted (the handler reports failures itself). */
    private JobLease hold(ConsumerRecord<String, byte[]> record, CompletableFuture<JobLease> job) {
        while (true) {
            try {
                return job.get(settings.lockRenewal().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                consumer.acknowledge(record, AcknowledgeType.RENEW);
                Map<?, Optional<org.apache.kafka.common.KafkaException>> result = consumer.commitSync();
                result.values().forEach(error -> error.ifPresent(ex -> LOG.warnf("renewing the lock of job %s failed: %s",
                        record.key(), ex.getMessage())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return JobLease.RELEASE;
            } catch (ExecutionException e) {
                LOG.errorf(e.getCause(), "job %s ended with an error the worker did not handle", record.key());
                return JobLease.ACCEPT;
            }
        }
    }

    /** Asks {@link #run} to return after the job it holds (the caller makes that job end, e.g. by cancelling it). */
    public void stop() {
        running = false; // poll waits at most a second, so no wakeup() (which would also break a commit)
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(10));
    }
}
