package dev.tooltune.inference.adapters;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads the compacted {@code adapters} topic from the beginning, every time the service starts, into the
 * {@link AdapterRegistry}: no consumer group and no committed offsets (every replica needs every record), all
 * partitions assigned and sought to the start. Adapters trained on another base model (id or revision) are not
 * servable here and are skipped; a tombstone removes its adapter; a record that does not decode is logged and passed.
 */
public final class AdapterTopicConsumer implements Runnable, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdapterTopicConsumer.class);

    private final String bootstrapServers;
    private final String topic;
    private final String baseModelId;
    private final String baseModelRevision;
    private final AdapterRegistry registry;
    private final Thread thread;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean caughtUp;
    private volatile boolean closed;
    private volatile String problem = "not started";

    public AdapterTopicConsumer(String bootstrapServers, String topic, String baseModelId, String baseModelRevision,
            AdapterRegistry registry) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.baseModelId = baseModelId;
        this.baseModelRevision = baseModelRevision;
        this.registry = registry;
        this.thread = new Thread(this, "adapters-topic");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Whether every record that was on the topic when the service started has been read. */
    public boolean caughtUp() {
        return caughtUp;
    }

    /** Why it is not caught up yet, for the readiness check. */
    public String problem() {
        return problem;
    }

    @Override
    public void run() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "inference-adapters-" + UUID.randomUUID());
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        while (!closed) {
            try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(properties)) {
                consumer = kafka;
                if (closed) {
                    return;
                }
                consume(kafka);
            } catch (WakeupException stop) {
                return;
            } catch (RuntimeException e) {
                problem = "adapters topic: " + e.getMessage();
                LOG.warnf("reading topic %s failed (%s); retrying in 2 s", topic, e.toString());
                sleep(2000);
            }
        }
    }

    private void consume(KafkaConsumer<String, byte[]> kafka) {
        problem = "waiting for the partitions of topic " + topic;
        List<TopicPartition> partitions = kafka.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " has no partitions (does it exist?)");
        }
        kafka.assign(partitions);
        kafka.seekToBeginning(partitions);
        Map<TopicPartition, Long> startEnd = kafka.endOffsets(partitions);
        problem = "reading topic " + topic + " up to the end offsets of startup " + startEnd.values();
        while (!closed) {
            for (ConsumerRecord<String, byte[]> record : kafka.poll(Duration.ofMillis(200))) {
                apply(record);
            }
            if (!caughtUp && startEnd.entrySet().stream().allMatch(e -> kafka.position(e.getKey()) >= e.getValue())) {
                caughtUp = true;
                problem = null;
                LOG.infof("adapters topic read to its end: %d servable adapters", registry.size());
            }
        }
    }

    void apply(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            LOG.warnf("adapters record without a key at %s-%d@%d; skipped", record.topic(), record.partition(), record.offset());
            return;
        }
        if (record.value() == null) {
            registry.remove(record.key());
            return;
        }
        Adapter adapter;
        try {
            adapter = MessageCodec.ADAPTERS.decode(record.value());
        } catch (IllegalArgumentException e) { // InvalidMessageException, or a record this reader cannot read
            LOG.warnf("adapters record %s at %s-%d@%d does not decode; skipped: %s", record.key(), record.topic(),
                    record.partition(), record.offset(), e.getMessage());
            return;
        }
        boolean sameBase = baseModelId.equals(adapter.baseModel().id())
                && baseModelRevision.equals(adapter.baseModel().revision());
        if (!sameBase) {
            LOG.debugf("adapter %s is for base model %s@%s, not the served %s@%s; not servable here",
                    adapter.adapterId(), adapter.baseModel().id(), adapter.baseModel().revision(), baseModelId,
                    baseModelRevision);
            registry.remove(adapter.adapterId());
            return;
        }
        if (adapter.method() == dev.tooltune.contracts.jobs.TrainingMethod.FULL) {
            LOG.infof("adapter %s is a full fine-tune (a whole model); this service serves LoRA adapters only",
                    adapter.adapterId());
            registry.remove(adapter.adapterId());
            return;
        }
        registry.put(adapter);
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<String, byte[]> kafka = consumer;
        if (kafka != null) {
            kafka.wakeup();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
