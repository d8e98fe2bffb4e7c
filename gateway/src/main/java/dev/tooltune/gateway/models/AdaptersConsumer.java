package dev.tooltune.gateway.models;

import dev.tooltune.contracts.MessageCodec;
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
 * Follows the compacted adapters topic (channel {@code adapters}, application.properties): every replica reads it
 * from the beginning at start, as a consumer group of its own that never commits (each replica needs every adapter),
 * then keeps reading. A tombstone deletes the adapter; a record that does not decode is logged and passed; a database
 * failure is retried every second, so that the table never skips a record.
 */
@ApplicationScoped
public class AdaptersConsumer {
    private static final Logger LOG = Logger.getLogger(AdaptersConsumer.class);

    @Inject
    Adapters adapters;

    @Incoming("adapters")
    @Blocking
    @Retry(maxRetries = -1, delay = 1, delayUnit = ChronoUnit.SECONDS, maxDuration = 0, jitter = 0)
    public void apply(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            adapters.delete(record.key());
            return;
        }
        try {
            adapters.put(MessageCodec.ADAPTERS.decode(record.value()));
        } catch (InvalidMessageException e) {
            LOG.warnf("skipping adapters record %s at %s-%d@%d: %s", record.key(), record.topic(), record.partition(),
                    record.offset(), e.getMessage());
        }
    }
}
