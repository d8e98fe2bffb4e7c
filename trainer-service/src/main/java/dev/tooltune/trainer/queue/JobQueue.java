package dev.tooltune.trainer.queue;

import dev.tooltune.trainer.TrainerSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
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
 * <p>This is the one Kafka client of the services that is not a SmallRye Reactive Messaging channel. SmallRye 4.34
 * (Quarkus 3.36) has a share-group consumer ({@code share-group=true}, experimental) that does send RENEW for records
 * in flight, but against our Kafka 4.2 broker it does not hold a long job: a 50 s job under the default 30 s lock
 * logged "SRMSG18287 ... The record cannot be acknowledged" and was handed over again, running 2-3 times (a 10 s job
 * ran once). A training job runs for minutes to hours, so the queue keeps its own RENEW loop, one job per worker and a
 * RELEASE after the shutdown checkpoint. {@code SmallRyeShareGroupLongJobCheck} (opt-in) repeats that reproduction:
 * when it passes after an upgrade, this class can become an {@code @Incoming} channel.
 */
public final class JobQueue implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobQueue.class);

    /** Runs one job: (record, delivery count) to a future that completes when the job ends. */
    public interface Handler extends BiFunction<ConsumerRecord<String, byte[]>, Integer, CompletableFuture<JobLease>> {}

    private final TrainerSettings settings;
    private final String clientId;
    private KafkaShareConsumer<String, byte[]> consumer;
    private Admin admin;
    private volatile boolean running = true;

    public JobQueue(TrainerSettings settings, String clientId) {
        this.settings = settings;
        this.clientId = clientId;
        this.consumer = newConsumer();
    }

    private KafkaShareConsumer<String, byte[]> newConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put("share.acknowledgement.mode", "explicit");
        p.put("share.acquire.mode", "record_limit"); // one job per worker: never acquire more than we run
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        KafkaShareConsumer<String, byte[]> created = new KafkaShareConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        created.subscribe(List.of(settings.topics().jobs()));
        return created;
    }

    /**
     * Sets the share group's configs: reads from the earliest record (a job submitted before the first worker
     * started is not lost) and the lock duration. A config this broker refuses is logged and skipped.
     */
    public static void configureGroup(TrainerSettings settings) {
        Properties p = new Properties();
        p.put("bootstrap.servers", settings.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, settings.group());
            // Kafka 4.2.0 knows neither share.renew.acknowledge.enable nor share.delivery.count.limit as group
            // configs: renewals work without the first, and the delivery limit is the broker's
            // group.share.delivery.count.limit (default 5), which the delivery-limit setting must match.
            Map<String, String> configs = Map.of(
                    "share.auto.offset.reset", "earliest",
                    "share.record.lock.duration.ms", String.valueOf(settings.lockDuration().toMillis()));
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

    /**
     * Takes jobs one at a time until {@link #stop}; each handled to its end before the next is taken. A broker
     * failure the consumer cannot get over by itself (after the broker lost its data the share group is gone, and the
     * consumer turns fatal: {@code GroupIdNotFoundException}) does not end the queue: the consumer is closed, the
     * group configured again (its configs were lost with it) and a new consumer joins, with a growing pause between
     * tries.
     */
    public void run(Handler handler, int stopAfterJobs) {
        int handled = 0;
        Duration pause = FIRST_PAUSE;
        while (running) {
            try {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofSeconds(1));
                for (ConsumerRecord<String, byte[]> record : records) {
                    if (!running || (stopAfterJobs > 0 && handled >= stopAfterJobs)) {
                        consumer.acknowledge(record, AcknowledgeType.RELEASE);
                        continue;
                    }
                    int deliveries = record.deliveryCount().map(Number::intValue).orElse(1);
                    LOG.infof("took job %s (%s-%d@%d, delivery %d)", record.key(), record.topic(), record.partition(),
                            record.offset(), deliveries);
                    Held held = hold(record, handler.apply(record, deliveries));
                    acknowledge(held.record, held.lease == JobLease.ACCEPT ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
                    handled++;
                }
                if (records.isEmpty() && groupCheckDue() && groupLostItsConfigs()) {
                    LOG.warnf("share group %s lost its configs (did the broker lose its data?): joining it again",
                            settings.group());
                    pause = rejoin(FIRST_PAUSE);
                    continue;
                }
                if (!records.isEmpty()) {
                    commit();
                    // A fresh consumer for the next job: with kafka-clients 4.2.0, after a RENEW cycle the consumer's
                    // later acknowledgements were lost (ACCEPTed jobs came back); closing also flushes this one's.
                    consumer.close(Duration.ofSeconds(10));
                    consumer = newConsumer();
                }
                pause = FIRST_PAUSE;
            } catch (KafkaException e) {
                LOG.warnf("the job queue's consumer failed (%s); joining the share group %s again in %d s", e.toString(),
                        settings.group(), pause.toSeconds());
                pause = rejoin(pause);
            }
            if (stopAfterJobs > 0 && handled >= stopAfterJobs) {
                running = false;
            }
        }
    }

    private static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);

    private static final Duration GROUP_CHECK_EVERY = Duration.ofSeconds(15);
    private long nextGroupCheck = System.nanoTime() + GROUP_CHECK_EVERY.toNanos();

    private boolean groupCheckDue() {
        if (!settings.configureGroup() || System.nanoTime() < nextGroupCheck) {
            return false;
        }
        nextGroupCheck = System.nanoTime() + GROUP_CHECK_EVERY.toNanos();
        return true;
    }

    /**
     * Whether the share group has lost the configs this worker set (a broker that lost its data recreates the group
     * with the defaults when a member joins, and an idle consumer joins it silently): then the jobs topic was lost too,
     * and whatever is on it now was sent after the loss.
     */
    private boolean groupLostItsConfigs() {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, settings.group());
        try {
            Config configs = admin().describeConfigs(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            ConfigEntry reset = configs == null ? null : configs.get("share.auto.offset.reset");
            return reset == null || !"earliest".equals(reset.value());
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return false; // the broker is away: the consumer's own errors say so
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * After a loss the group's start offsets were set by the default ("latest") when the first member came back, so
     * jobs sent between the broker's return and that moment would never be delivered: with the group empty (this
     * worker's consumer is closed; with several workers the last one to get here succeeds), they are moved back to
     * the start of the (new) topic.
     */
    private void rewindAfterLoss() {
        String topic = settings.topics().jobs();
        try {
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            admin().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest()));
            Map<TopicPartition, Long> start = new HashMap<>();
            admin().listOffsets(earliest).all().get(10, TimeUnit.SECONDS).forEach((p, info) -> start.put(p, info.offset()));
            admin().alterShareGroupOffsets(settings.group(), start).all().get(10, TimeUnit.SECONDS);
            LOG.infof("share group %s: start offsets moved back to the beginning of %s after the loss", settings.group(), topic);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warnf("share group %s: could not move its start offsets back after the loss (%s); jobs sent in the"
                    + " moments after the broker came back are re-queued by the gateway's watchdog", settings.group(),
                    e.getCause() != null ? e.getCause().toString() : e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put("bootstrap.servers", settings.bootstrapServers());
            p.put("client.id", clientId + "-queue-admin");
            admin = Admin.create(p);
        }
        return admin;
    }

    /**
     * Closes the failed consumer, waits, configures the group again (rewinding it when it had lost its configs) and
     * joins it with a new consumer; the next pause.
     */
    private Duration rejoin(Duration pause) {
        try {
            consumer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.debugf("closing the failed consumer: %s", e);
        }
        try {
            Thread.sleep(pause.toMillis());
            if (settings.configureGroup()) {
                boolean lost = groupLostItsConfigs();
                configureGroup(settings);
                if (lost) {
                    rewindAfterLoss();
                }
            }
            consumer = newConsumer();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } catch (RuntimeException e) {
            LOG.warnf("joining the share group %s again failed: %s", settings.group(), e.toString());
            consumer = newConsumer(); // a consumer that cannot reach the broker yet still constructs; poll retries
        }
        Duration next = pause.multipliedBy(2);
        return next.compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : next;
    }

    private record Held(ConsumerRecord<String, byte[]> record, JobLease lease) {}

    /**
     * Waits for the job, renewing its lock. In kafka-clients 4.2 a RENEWed record leaves the consumer's in-flight
     * batch and comes back from the next poll (KAFKA-20458), and only that copy can be acknowledged: so each renewal
     * is RENEW, then poll until the record is back. Other records a poll hands over meanwhile are RELEASEd at once.
     */
    private Held hold(ConsumerRecord<String, byte[]> record, CompletableFuture<JobLease> job) {
        ConsumerRecord<String, byte[]> current = record;
        boolean renewing = false;
        while (true) {
            try {
                JobLease lease = job.get(renewing ? 200 : settings.lockRenewal().toMillis(), TimeUnit.MILLISECONDS);
                if (renewing) {
                    current = awaitRenewed(current, Duration.ofSeconds(30));
                }
                return new Held(current, lease);
            } catch (TimeoutException e) {
                try {
                    if (!renewing) {
                        consumer.acknowledge(current, AcknowledgeType.RENEW);
                        renewing = true;
                    }
                    ConsumerRecord<String, byte[]> back = pollFor(current, Duration.ofMillis(200));
                    if (back != null) {
                        current = back;
                        renewing = false;
                    }
                } catch (KafkaException lost) {
                    // The broker is gone or lost the group: the lock cannot be kept. The job goes on (its claim at
                    // the gateway keeps a second worker off it); its record is redelivered or re-queued, and the
                    // next worker to take it finds it done.
                    LOG.warnf("job %s: its lock could not be renewed (%s); the job goes on without it", record.key(),
                            lost.toString());
                    return new Held(current, awaitUnlocked(job));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Held(current, JobLease.RELEASE);
            } catch (ExecutionException e) {
                LOG.errorf(e.getCause(), "job %s ended with an error the worker did not handle", record.key());
                if (renewing) {
                    current = awaitRenewed(current, Duration.ofSeconds(30));
                }
                return new Held(current, JobLease.ACCEPT);
            }
        }
    }

    /** Waits for a job whose record lock is lost. */
    private static JobLease awaitUnlocked(CompletableFuture<JobLease> job) {
        try {
            return job.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return JobLease.RELEASE;
        } catch (ExecutionException e) {
            return JobLease.ACCEPT;
        }
    }

    private ConsumerRecord<String, byte[]> awaitRenewed(ConsumerRecord<String, byte[]> record, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            ConsumerRecord<String, byte[]> back = pollFor(record, Duration.ofMillis(200));
            if (back != null) {
                return back;
            }
        }
        return record;
    }

    /** One poll: the renewed copy of {@code record} if it came back, else null; anything else is released. */
    private ConsumerRecord<String, byte[]> pollFor(ConsumerRecord<String, byte[]> record, Duration timeout) {
        ConsumerRecord<String, byte[]> back = null;
        for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
            if (r.topic().equals(record.topic()) && r.partition() == record.partition() && r.offset() == record.offset()) {
                back = r;
            } else {
                consumer.acknowledge(r, AcknowledgeType.RELEASE);
            }
        }
        return back;
    }

    private void acknowledge(ConsumerRecord<String, byte[]> record, AcknowledgeType type) {
        try {
            consumer.acknowledge(record, type);
            LOG.infof("job %s (%s-%d@%d, delivery %s): %s", record.key(), record.topic(), record.partition(), record.offset(),
                    record.deliveryCount().map(String::valueOf).orElse("?"), type);
        } catch (IllegalStateException | KafkaException e) {
            // the lock was lost (e.g. renewal failed); the broker redelivers the job and its next worker finds it done
            LOG.warnf("could not %s job %s at %s-%d@%d: %s", type, record.key(), record.topic(), record.partition(),
                    record.offset(), e.getMessage());
        }
    }

    private void commit() {
        consumer.commitSync().forEach((partition, error) -> error.ifPresent(ex ->
                LOG.warnf("acknowledgement on %s failed: %s", partition, ex.getMessage())));
    }

    /** Asks {@link #run} to return after the job it holds (the caller makes that job end, e.g. by cancelling it). */
    public void stop() {
        running = false; // poll waits at most a second, so no wakeup() (which would also break a commit)
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(10));
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
