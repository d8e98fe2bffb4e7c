package dev.tooltune.trainer.events;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.kafka.ReadProgress;
import dev.tooltune.trainer.TrainerSettings;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The adapters that exist, kept from the compacted adapters topic (channel {@code adapters-in}, application.properties:
 * read from the beginning at each start, never committed): which job already has an adapter (a redelivered job is not
 * trained twice) and the next version of a name in a tenant. {@link #read()} first waits until every record on the
 * topic at that moment has been applied, so that it sees what any worker (this one included) published before.
 * Two workers finishing jobs of the same name at the same moment could pick the same version; the adapterId stays
 * unique and inference-service orders equal versions by createdAt.
 */
@ApplicationScoped
@Default // injected by type as well; @Identifier names it for the channel config
@Identifier(AdapterCatalog.REBALANCE_LISTENER)
public class AdapterCatalog implements KafkaConsumerRebalanceListener {
    /** The channel's consumer-rebalance-listener.name. */
    public static final String REBALANCE_LISTENER = "trainer-adapters";
    private static final String CHANNEL = "adapters-in";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    @Inject
    TrainerSettings settings;
    @Inject
    KafkaClientService kafka;

    private final Map<String, Adapter> byId = new ConcurrentHashMap<>();
    private final ReadProgress progress = new ReadProgress();

    public record Snapshot(Map<String, Adapter> byId) {
        public Optional<Adapter> ofJob(String tenantId, String jobId) {
            return byId.values().stream().filter(a -> a.tenantId().equals(tenantId) && a.jobId().equals(jobId)).findFirst();
        }

        public int nextVersion(String tenantId, String name) {
            return byId.values().stream().filter(a -> a.tenantId().equals(tenantId) && a.name().equals(name))
                    .mapToInt(Adapter::version).max().orElse(0) + 1;
        }
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        progress.assigned(consumer, partitions);
    }

    @Incoming(CHANNEL)
    public void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            byId.remove(record.key());
        } else {
            try {
                Adapter adapter = MessageCodec.ADAPTERS.decode(record.value());
                byId.put(adapter.adapterId(), adapter);
            } catch (RuntimeException e) {
                // another producer's bad record must not stop training; it is simply not an adapter
            }
        }
        progress.applied(record);
    }

    /** The adapters on the topic now; waits (at most a minute) until the channel has read that far. */
    public Snapshot read() {
        String topic = settings.topics().adapters();
        Map<TopicPartition, Long> end = kafka.getConsumer(CHANNEL)
                .runOnPollingThread(consumer -> {
                    return ReadProgress.endOffsets(consumer, topic); // a block: the void overload would match an expression
                })
                .await().atMost(READ_TIMEOUT);
        if (!progress.await(() -> end, READ_TIMEOUT)) {
            throw new IllegalStateException("the adapters topic " + topic + " was not read up to " + end.values()
                    + " in " + READ_TIMEOUT.toSeconds() + " s");
        }
        return new Snapshot(Map.copyOf(byId));
    }
}
