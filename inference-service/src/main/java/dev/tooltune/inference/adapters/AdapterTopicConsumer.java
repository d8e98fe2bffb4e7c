package dev.tooltune.inference.adapters;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.contracts.kafka.ReadProgress;
import dev.tooltune.inference.serving.InferenceRuntime;
import dev.tooltune.model.checkpoint.BaseModels;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads the compacted {@code adapters} topic (channel {@code adapters}, application.properties) from the beginning,
 * every time the service starts, into the {@link AdapterRegistry}: a consumer group of its own per start that never
 * commits (every replica needs every record). Adapters trained on another base model (id or revision) are not
 * servable here and are skipped; a tombstone removes its adapter; a record that does not decode is logged and passed.
 * {@link #caughtUp()} tells readiness when every record that was on the topic at startup has been applied.
 */
@ApplicationScoped
@Default // injected by type as well; @Identifier names it for the channel config
@Identifier(AdapterTopicConsumer.REBALANCE_LISTENER)
public class AdapterTopicConsumer implements KafkaConsumerRebalanceListener {
    /** The channel's consumer-rebalance-listener.name. */
    public static final String REBALANCE_LISTENER = "inference-adapters";
    private static final Logger LOG = Logger.getLogger(AdapterTopicConsumer.class);

    @Inject
    InferenceRuntime runtime;

    private final ReadProgress progress = new ReadProgress();
    private volatile Map<TopicPartition, Long> startupEnd;
    private volatile boolean caughtUp;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        progress.assigned(consumer, partitions);
        if (startupEnd == null) {
            startupEnd = Map.copyOf(consumer.endOffsets(partitions));
            LOG.infof("reading %d partition(s) of the adapters topic up to the end offsets of startup %s",
                    partitions.size(), startupEnd.values());
        }
    }

    /** Whether every record that was on the topic when the service started has been applied. */
    public boolean caughtUp() {
        Map<TopicPartition, Long> end = startupEnd;
        if (!caughtUp && end != null && progress.reached(end)) {
            caughtUp = true;
            LOG.infof("adapters topic read to its end: %d servable adapters", runtime.registry().size());
        }
        return caughtUp;
    }

    /** Why it is not caught up yet, for the readiness check. */
    public String problem() {
        return startupEnd == null ? "waiting for the partitions of the adapters topic"
                : "reading the adapters topic up to the end offsets of startup " + startupEnd.values();
    }

    @Incoming("adapters")
    @Blocking // waits for the base model's identity; the registry's listeners touch the adapter cache
    public void apply(ConsumerRecord<String, byte[]> record) {
        BaseModels.Resolved served = runtime.awaitBaseModel();
        if (served != null) {
            apply(record, served, runtime.registry());
        }
        progress.applied(record);
    }

    static void apply(ConsumerRecord<String, byte[]> record, BaseModels.Resolved served, AdapterRegistry registry) {
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
        boolean sameBase = served.id().equals(adapter.baseModel().id())
                && served.revision().equals(adapter.baseModel().revision());
        if (!sameBase) {
            LOG.debugf("adapter %s is for base model %s@%s, not the served %s@%s; not servable here",
                    adapter.adapterId(), adapter.baseModel().id(), adapter.baseModel().revision(), served.id(),
                    served.revision());
            registry.remove(adapter.adapterId());
            return;
        }
        if (adapter.method() == TrainingMethod.FULL) {
            LOG.infof("adapter %s is a full fine-tune (a whole model); this service serves LoRA adapters only",
                    adapter.adapterId());
            registry.remove(adapter.adapterId());
            return;
        }
        registry.put(adapter);
    }
}
