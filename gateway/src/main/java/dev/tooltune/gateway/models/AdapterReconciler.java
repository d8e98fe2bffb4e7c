package dev.tooltune.gateway.models;

import dev.tooltune.gateway.config.GatewayConfig;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * At start, reads the whole adapters topic (to the end it has then) and publishes again every adapter the registry
 * holds that the topic lost ({@link Adapters#republishLost}): after a broker lost its data, inference-service serves
 * the tenants' fine-tuned models again. Runs once, in the background; retried while the broker cannot be reached.
 */
@ApplicationScoped
public class AdapterReconciler {
    private static final Logger LOG = Logger.getLogger(AdapterReconciler.class);

    @Inject
    GatewayConfig config;
    @Inject
    Adapters adapters;

    void start(@Observes StartupEvent event) {
        Thread thread = new Thread(this::reconcileUntilDone, "adapters-reconciler");
        thread.setDaemon(true);
        thread.start();
    }

    private void reconcileUntilDone() {
        for (int attempt = 1; ; attempt++) {
            try {
                int republished = adapters.republishLost(liveOnTopic());
                LOG.infof("adapters topic reconciled with the registry: %d published again", republished);
                return;
            } catch (RuntimeException e) {
                LOG.warnf("reconciling the adapters topic failed (attempt %d): %s; again in 10 s", attempt, e.toString());
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** The keys with a live (non-tombstone) record on the topic, read from the beginning to its end now. */
    Set<String> liveOnTopic() {
        String topic = config.topics().adapters();
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "tooltune-gateway-adapters-reconciler");
        try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(properties, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = kafka.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            kafka.assign(partitions);
            kafka.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = kafka.endOffsets(partitions);
            Set<String> live = new HashSet<>();
            while (!partitions.stream().allMatch(p -> kafka.position(p) >= end.get(p))) {
                for (ConsumerRecord<String, byte[]> record : kafka.poll(Duration.ofMillis(500))) {
                    if (record.value() == null) {
                        live.remove(record.key());
                    } else {
                        live.add(record.key());
                    }
                }
            }
            return live;
        }
    }
}
