package dev.tooltune.trainer.events;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.TrainingEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * Publishes training events and adapter records (channels {@code training-events} and {@code adapters-out},
 * application.properties: idempotent producer, acks=all); each send returns once the broker has acknowledged it.
 */
@ApplicationScoped
public class EventPublisher {
    /** Above the producer's delivery timeout, so that the producer's own answer comes first. */
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(40);

    @Inject
    @Channel("training-events")
    MutinyEmitter<Record<String, byte[]>> events;

    @Inject
    @Channel("adapters-out")
    MutinyEmitter<Record<String, byte[]>> adapters;

    public void event(TrainingEvent event) {
        send(events, "training-events", Record.of(MessageCodec.TRAINING_EVENTS.key(event),
                MessageCodec.TRAINING_EVENTS.encode(event)));
    }

    public void adapter(Adapter adapter) {
        send(adapters, "adapters", Record.of(adapter.adapterId(), MessageCodec.ADAPTERS.encode(adapter)));
    }

    private static void send(MutinyEmitter<Record<String, byte[]>> channel, String what, Record<String, byte[]> record) {
        try {
            channel.send(record).await().atMost(ACK_TIMEOUT);
        } catch (RuntimeException e) {
            throw new IllegalStateException("could not publish to " + what + " (key " + record.key() + ")", e);
        }
    }
}
