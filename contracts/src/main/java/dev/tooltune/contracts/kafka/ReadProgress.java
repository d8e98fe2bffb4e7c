package dev.tooltune.contracts.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * How far a reader that follows a topic has applied its records: per partition, the offset after the last record
 * applied. A service that keeps a compacted topic in memory (read from the start, never committed) asks it whether
 * every record before some end offsets (those of its startup, or of now) is applied, without pausing its reader.
 *
 * <p>Fed by the channel's rebalance listener ({@link #assigned}: where reading starts, so that an empty or wholly
 * compacted partition counts as read) and by the channel's method after each record ({@link #applied}). Records are
 * assumed non-transactional (no control records at the end of a partition), which holds for every ToolTune producer.
 */
public final class ReadProgress {
    private final Map<TopicPartition, Long> next = new ConcurrentHashMap<>();

    /** On the polling thread (a rebalance listener's onPartitionsAssigned): reading starts at each one's position. */
    public void assigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            next.merge(partition, consumer.position(partition), Math::max);
        }
    }

    /** After a record has been applied. */
    public void applied(ConsumerRecord<?, ?> record) {
        next.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
    }

    /** Whether every record before these end offsets (Consumer.endOffsets) has been applied. */
    public boolean reached(Map<TopicPartition, Long> endOffsets) {
        return !endOffsets.isEmpty() && endOffsets.entrySet().stream()
                .allMatch(end -> next.getOrDefault(end.getKey(), -1L) >= end.getValue());
    }

    /**
     * The end offsets of every partition of {@code topic} now, asked with the channel's own consumer (on its polling
     * thread: SmallRye's {@code KafkaConsumer.runOnPollingThread}), so that no second consumer is needed.
     */
    public static Map<TopicPartition, Long> endOffsets(Consumer<?, ?> consumer, String topic) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        return consumer.endOffsets(partitions);
    }

    /**
     * Waits until {@link #reached} the end offsets that {@code ends} gives (null while not known yet), at most
     * {@code timeout}; false if it did not.
     */
    public boolean await(Supplier<Map<TopicPartition, Long>> ends, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<TopicPartition, Long> end = ends.get();
            if (end != null && reached(end)) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
