package dev.tooltune.gateway.jobs;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.validation.InvalidMessageException;
import dev.tooltune.gateway.config.GatewayConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads training-events as the consumer group {@code tooltune.kafka.events-group} (the replicas share the
 * partitions) and applies each event to the registry before its offset is committed: a crash replays events, which
 * {@link JobEvents} recognises by id. A poison record is logged and passed; a database failure stops the partition
 * at that record and retries it.
 */
@ApplicationScoped
public class TrainingEventsConsumer {
    private static final Logger LOG = Logger.getLogger(TrainingEventsConsumer.class);

    @Inject
    GatewayConfig config;
    @Inject
    JobEvents jobEvents;

    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean running;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        running = true;
        thread = new Thread(this::run, "training-events-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            try {
                consume();
                return;
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf(e, "training-events consumer failed; starting again in 5 s");
                sleep(5000);
            }
        }
    }

    private void consume() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, config.kafka().eventsGroup());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "tooltune-gateway-events");
        try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(properties, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer = kafka;
            kafka.subscribe(List.of(config.topics().trainingEvents()));
            while (running) {
                ConsumerRecords<String, byte[]> records = kafka.poll(Duration.ofMillis(500));
                for (TopicPartition partition : records.partitions()) {
                    for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
                        if (!apply(record)) {
                            kafka.seek(partition, record.offset()); // retried at the next poll
                            sleep(1000);
                            break;
                        }
                    }
                }
                if (!records.isEmpty()) {
                    kafka.commitSync();
                }
            }
        }
    }

    /** False if the record must be tried again (the database failed). */
    private boolean apply(ConsumerRecord<String, byte[]> record) {
        TrainingEvent event;
        try {
            event = MessageCodec.TRAINING_EVENTS.decode(record.value());
        } catch (InvalidMessageException e) {
            LOG.warnf("skipping training-events record %s at %s-%d@%d: %s", record.key(), record.topic(),
                    record.partition(), record.offset(), e.getMessage());
            return true;
        }
        try {
            jobEvents.apply(event);
            return true;
        } catch (RuntimeException e) {
            LOG.warnf(e, "could not apply event %s of job %s; retrying", event.eventId(), event.jobId());
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
