package dev.tooltune.gateway.models;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.validation.InvalidMessageException;
import dev.tooltune.gateway.config.GatewayConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Follows the compacted adapters topic: every replica reads all its partitions from the beginning at start (no
 * consumer group: each replica needs every adapter), then keeps reading. A tombstone deletes the adapter. Once the
 * topic has been read to the end it had at start, adapters the registry holds and the topic lost are published
 * again ({@link Adapters#republishLost}).
 */
@ApplicationScoped
public class AdaptersConsumer {
    private static final Logger LOG = Logger.getLogger(AdaptersConsumer.class);

    @Inject
    GatewayConfig config;
    @Inject
    Adapters adapters;

    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean running;
    private Thread thread;

    void start(@Observes StartupEvent event) {
        running = true;
        thread = new Thread(this::run, "adapters-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        join(thread);
    }

    private void run() {
        String topic = config.topics().adapters();
        while (running) {
            Properties properties = new Properties();
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
            properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "tooltune-gateway-adapters");
            try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(properties, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer = kafka;
                List<TopicPartition> partitions = kafka.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
                kafka.assign(partitions);
                kafka.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = kafka.endOffsets(partitions);
                Set<String> live = new HashSet<>();
                boolean caughtUp = false;
                LOG.infof("reading %s from the beginning (%d partitions)", topic, partitions.size());
                while (running) {
                    for (ConsumerRecord<String, byte[]> record : kafka.poll(Duration.ofMillis(500))) {
                        handle(record);
                        if (!caughtUp) {
                            if (record.value() == null) {
                                live.remove(record.key());
                            } else {
                                live.add(record.key());
                            }
                        }
                    }
                    if (!caughtUp && partitions.stream().allMatch(p -> kafka.position(p) >= end.get(p))) {
                        caughtUp = true;
                        adapters.republishLost(live);
                        live = null;
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // The registry must not stop following the topic: start over from the beginning after a pause.
                LOG.warnf(e, "adapters consumer failed; reading %s again from the beginning in 5 s", topic);
                sleep(5000);
            }
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            adapters.delete(record.key());
            return;
        }
        try {
            adapters.put(MessageCodec.ADAPTERS.decode(record.value()));
        } catch (InvalidMessageException e) {
            LOG.warnf("skipping adapters record %s at %s-%d@%d: %s", record.key(), record.topic(), record.partition(),
                    record.offset(), e.getMessage());
        }
    }

    static void join(Thread thread) {
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
