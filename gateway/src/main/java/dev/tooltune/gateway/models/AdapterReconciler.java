package dev.tooltune.gateway.models;

import dev.tooltune.contracts.kafka.ReadProgress;
import dev.tooltune.gateway.config.GatewayConfig;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * At start, once the {@link AdaptersConsumer} has read the adapters topic up to the end it has then, publishes again
 * every adapter the registry holds that the topic lost ({@link Adapters#republishLost}): after a broker lost its
 * data, inference-service serves the tenants' fine-tuned models again. Runs once, in the background; retried while the
 * broker cannot be reached. No consumer of its own: the end offsets are asked with the channel's consumer, and the
 * live keys are those the channel applied, so that a tombstone the channel has not applied yet (its row still in the
 * table) can never make a deleted model look lost. Every replica does it; two replicas publishing the same lost
 * record again leave the compacted topic as one would.
 */
@ApplicationScoped
public class AdapterReconciler {
    private static final Logger LOG = Logger.getLogger(AdapterReconciler.class);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(10);

    @Inject
    GatewayConfig config;
    @Inject
    Adapters adapters;
    @Inject
    AdaptersConsumer channel;
    @Inject
    KafkaClientService kafka;

    void start(@Observes StartupEvent event) {
        Thread thread = new Thread(this::reconcileUntilDone, "adapters-reconciler");
        thread.setDaemon(true);
        thread.start();
    }

    private void reconcileUntilDone() {
        for (int attempt = 1; ; attempt++) {
            try {
                int republished = reconcile();
                LOG.infof("adapters topic reconciled with the registry: %d published again", republished);
                return;
            } catch (RuntimeException e) {
                LOG.warnf("reconciling the adapters topic failed (attempt %d): %s; again in %d s", attempt,
                        e.toString(), RETRY_AFTER.toSeconds());
                try {
                    Thread.sleep(RETRY_AFTER.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /**
     * Waits until the channel has applied every record on the adapters topic now, then publishes again what the
     * registry holds and the topic does not.
     *
     * @return how many adapters were published again
     */
    public int reconcile() {
        String topic = config.topics().adapters();
        KafkaConsumer<Object, Object> consumer = kafka.getConsumer(AdaptersConsumer.CHANNEL);
        if (consumer == null) {
            throw new IllegalStateException("the " + AdaptersConsumer.CHANNEL + " channel has not started");
        }
        Map<TopicPartition, Long> end = consumer
                .runOnPollingThread(c -> {
                    return ReadProgress.endOffsets(c, topic); // a block: the void overload would match an expression
                })
                .await().atMost(READ_TIMEOUT);
        if (!channel.awaitRead(end, READ_TIMEOUT)) {
            throw new IllegalStateException("the adapters channel did not read " + topic + " up to " + end.values()
                    + " in " + READ_TIMEOUT.toSeconds() + " s");
        }
        // The live keys first, the table second (republishLost): see AdaptersConsumer.
        return adapters.republishLost(channel.liveKeys());
    }
}
