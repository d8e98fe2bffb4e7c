package dev.tooltune.trainer.events;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.trainer.TrainerSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The adapters that exist, read from the compacted adapters topic (start to current end) when asked: which job
 * already has an adapter (a redelivered job is not trained twice) and the next version of a name in a tenant.
 * Two workers finishing jobs of the same name at the same moment could pick the same version; the adapterId stays
 * unique and inference-service orders equal versions by createdAt.
 */
public final class AdapterCatalog {

    private final TrainerSettings settings;

    public AdapterCatalog(TrainerSettings settings) {
        this.settings = settings;
    }

    public record Snapshot(Map<String, Adapter> byId) {
        public Optional<Adapter> ofJob(String tenantId, String jobId) {
            return byId.values().stream().filter(a -> a.tenantId().equals(tenantId) && a.jobId().equals(jobId)).findFirst();
        }

        public int nextVersion(String tenantId, String name) {
            return byId.values().stream().filter(a -> a.tenantId().equals(tenantId) && a.name().equals(name))
                    .mapToInt(Adapter::version).max().orElse(0) + 1;
        }
    }

    public Snapshot read() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, Adapter> byId = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(settings.topics().adapters()).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() == null) {
                        byId.remove(record.key());
                        continue;
                    }
                    try {
                        Adapter adapter = MessageCodec.ADAPTERS.decode(record.value());
                        byId.put(adapter.adapterId(), adapter);
                    } catch (RuntimeException e) {
                        // another producer's bad record must not stop training; it is simply not an adapter
                    }
                }
            }
        }
        return new Snapshot(byId);
    }
}
