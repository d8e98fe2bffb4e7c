package dev.tooltune.gateway.jobs;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.validation.InvalidMessageException;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Applies training-events (channel {@code training-events}, application.properties) to the registry. The replicas
 * share the partitions as one consumer group, and an offset is committed only after its event is stored (commit
 * strategy throttled): a crash replays events, which {@link JobEvents} recognises by id. A record that does not decode
 * is logged and passed (no retry can fix it); a database failure is retried every second, holding the channel at
 * that record, so that no event is skipped and the events of a job stay in order.
 */
@ApplicationScoped
public class TrainingEventsConsumer {
    private static final Logger LOG = Logger.getLogger(TrainingEventsConsumer.class);

    @Inject
    JobEvents jobEvents;

    @Incoming("training-events")
    @Blocking // ordered, on a worker thread: one event at a time, in partition order
    @Retry(maxRetries = -1, delay = 1, delayUnit = ChronoUnit.SECONDS, maxDuration = 0, jitter = 0)
    public void apply(ConsumerRecord<String, byte[]> record) {
        TrainingEvent event;
        try {
            event = MessageCodec.TRAINING_EVENTS.decode(record.value());
        } catch (InvalidMessageException e) {
            LOG.warnf("skipping training-events record %s at %s-%d@%d: %s", record.key(), record.topic(),
                    record.partition(), record.offset(), e.getMessage());
            return;
        }
        try {
            jobEvents.apply(event);
        } catch (RuntimeException e) {
            LOG.warnf(e, "could not apply event %s of job %s; retrying", event.eventId(), event.jobId());
            throw e;
        }
    }
}
