package dev.tooltune.contracts.kafka;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * When a follower of a topic counts as caught up. The broker side is kafka-clients' in-memory MockConsumer: what is
 * under test is the bookkeeping, not Kafka (the services' tests read the real broker).
 */
class ReadProgressTest {
    private static final TopicPartition P0 = new TopicPartition("adapters", 0);
    private static final TopicPartition P1 = new TopicPartition("adapters", 1);

    private static MockConsumer<String, byte[]> consumerAt(Map<TopicPartition, Long> beginning) {
        MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
        consumer.assign(List.copyOf(beginning.keySet()));
        consumer.updateBeginningOffsets(beginning);
        return consumer;
    }

    private static ConsumerRecord<String, byte[]> record(TopicPartition partition, long offset) {
        return new ConsumerRecord<>(partition.topic(), partition.partition(), offset, "key", new byte[0]);
    }

    @Test
    void caughtUpOnlyWhenEveryPartitionIsAppliedUpToItsEnd() {
        ReadProgress progress = new ReadProgress();
        progress.assigned(consumerAt(Map.of(P0, 0L, P1, 0L)), List.of(P0, P1));
        Map<TopicPartition, Long> end = Map.of(P0, 2L, P1, 1L);
        assertFalse(progress.reached(end));
        progress.applied(record(P0, 0));
        progress.applied(record(P0, 1));
        assertFalse(progress.reached(end), "partition 1 still has its record to apply");
        progress.applied(record(P1, 0));
        assertTrue(progress.reached(end));
    }

    @Test
    void anEmptyOrWhollyCompactedPartitionCountsAsReadFromItsStartingPosition() {
        ReadProgress progress = new ReadProgress();
        // partition 0 was compacted down to nothing before offset 40; partition 1 never had a record
        progress.assigned(consumerAt(Map.of(P0, 40L, P1, 0L)), List.of(P0, P1));
        assertTrue(progress.reached(Map.of(P0, 40L, P1, 0L)));
    }

    @Test
    void unknownEndsAndPartitionsNotYetAssignedAreNotCaughtUp() {
        ReadProgress progress = new ReadProgress();
        assertFalse(progress.reached(Map.of()), "no end offsets known yet");
        assertFalse(progress.reached(Map.of(P0, 0L)), "partition not assigned yet");
        assertFalse(progress.await(() -> null, Duration.ofMillis(50)));
        progress.assigned(consumerAt(Map.of(P0, 0L)), List.of(P0));
        assertTrue(progress.await(() -> Map.of(P0, 0L), Duration.ofMillis(50)));
    }
}
