package dev.tooltune.gateway.models;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.kafka.ReadProgress;
import dev.tooltune.contracts.validation.InvalidMessageException;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Follows the compacted adapters topic (channel {@code adapters}, application.properties): every replica reads it
 * from the beginning at start, as a consumer group of its own that never commits (each replica needs every adapter),
 * then keeps reading. A tombstone deletes the adapter; a record that does not decode is logged and passed; a database
 * failure is retried every second, so that the table never skips a record.
 *
 * <p>It also remembers which keys have a live record on the topic, as read so far, and how far it has read
 * ({@link #awaitRead}), for the {@link AdapterReconciler}. A key counts as live once its record is applied, and stops
 * being live only after its tombstone has deleted the row, so that a reader who takes {@link #liveKeys()} and then
 * lists the table never sees a deleted adapter as lost. A record that does not decode still counts as live: the
 * topic holds something newer for that key (perhaps a format this gateway cannot read) that publishing the
 * registry's copy again would overwrite.
 */
@ApplicationScoped
@Default // injected by type as well; @Identifier names it for the channel config
@Identifier(AdaptersConsumer.REBALANCE_LISTENER)
public class AdaptersConsumer implements KafkaConsumerRebalanceListener {
    /** The channel's consumer-rebalance-listener.name. */
    public static final String REBALANCE_LISTENER = "gateway-adapters";
    /** The channel's name. */
    public static final String CHANNEL = "adapters";
    private static final Logger LOG = Logger.getLogger(AdaptersConsumer.class);

    @Inject
    Adapters adapters;

    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private final ReadProgress progress = new ReadProgress();

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        progress.assigned(consumer, partitions);
    }

    @Incoming(CHANNEL)
    @Blocking
    @Retry(maxRetries = -1, delay = 1, delayUnit = ChronoUnit.SECONDS, maxDuration = 0, jitter = 0)
    public void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            adapters.delete(record.key());
            live.remove(record.key());
        } else {
            try {
                adapters.put(MessageCodec.ADAPTERS.decode(record.value()));
            } catch (InvalidMessageException e) {
                LOG.warnf("skipping adapters record %s at %s-%d@%d: %s", record.key(), record.topic(),
                        record.partition(), record.offset(), e.getMessage());
            }
            if (record.key() != null) {
                live.add(record.key());
            }
        }
        progress.applied(record);
    }

    /** Waits (at most {@code timeout}) until every record before these end offsets has been applied. */
    boolean awaitRead(Map<TopicPartition, Long> endOffsets, Duration timeout) {
        return progress.await(() -> endOffsets, timeout);
    }

    /** The keys with a live (non-tombstone) record on the topic, as far as read; a copy. */
    Set<String> liveKeys() {
        return Set.copyOf(live);
    }
}
