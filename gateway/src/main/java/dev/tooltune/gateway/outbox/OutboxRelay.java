package dev.tooltune.gateway.outbox;

import dev.tooltune.gateway.config.GatewayConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Sends committed outbox rows to Kafka in id order through the {@code outbox} channel (application.properties: acks=all,
 * idempotent producer; each record names its own topic) and marks a row sent only once the broker has acknowledged
 * its record. It runs on one thread, woken after each
 * commit that added rows and every {@code poll-interval} (rows of a crashed replica, or left by a Kafka outage).
 * Rows are claimed with {@code for update skip locked}, so several replicas never send the same row at once.
 *
 * <p>Guarantee: a committed row is sent (at least once); the only duplicate possible is a crash after the broker
 * acknowledged a record and before the row was marked sent. The record key (the job id) lets consumers drop that copy,
 * as the trainer does for a job id it has already seen. A crash before the send (the test {@code OutboxCrashIT}
 * kills the process there) loses nothing and sends the job once.
 */
@ApplicationScoped
public class OutboxRelay {
    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** How long one record may wait for the broker's acknowledgement (above the producer's delivery timeout). */
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(40);

    @Inject
    GatewayConfig config;
    @Inject
    EntityManager entityManager;
    @Inject
    TransactionSynchronizationRegistry transactions;

    private final Semaphore wakeUp = new Semaphore(0);
    private volatile boolean running;
    @Inject
    @Channel("outbox")
    MutinyEmitter<Record<String, byte[]>> outbox;

    private Thread thread;

    void start(@Observes StartupEvent event) {
        if (!config.outbox().enabled()) {
            LOG.warn("outbox relay disabled (tooltune.gateway.outbox.enabled=false): jobs are stored, not sent");
            return;
        }
        running = true;
        thread = new Thread(this::loop, "outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (thread != null) {
            wakeUp.release();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Wakes the relay once the current transaction has committed (not before: the rows would not be visible). */
    void wakeAfterCommit() {
        transactions.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                if (status == Status.STATUS_COMMITTED) {
                    wakeUp.release();
                }
            }
        });
    }

    private void loop() {
        long pollMillis = config.outbox().pollInterval().toMillis();
        while (running) {
            try {
                wakeUp.tryAcquire(pollMillis, TimeUnit.MILLISECONDS);
                wakeUp.drainPermits();
                while (running && relayBatch() > 0) {
                    // a full batch may mean more rows are waiting
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warnf("outbox relay: %s; retrying in %d ms", e.getMessage(), pollMillis);
            }
        }
    }

    /** Sends one batch of unsent rows and marks them sent, in one transaction; returns how many. */
    int relayBatch() {
        return QuarkusTransaction.requiringNew().call(() -> {
            @SuppressWarnings("unchecked")
            List<Object[]> rows = entityManager.createNativeQuery("select id, topic, record_key, payload "
                            + "from outbox_message where sent_at is null order by id limit ?1 for update skip locked")
                    .setParameter(1, config.outbox().batchSize())
                    .getResultList();
            for (Object[] row : rows) {
                long id = ((Number) row[0]).longValue();
                byte[] value = row[3] == null ? null : ((String) row[3]).getBytes(StandardCharsets.UTF_8);
                send((String) row[1], (String) row[2], value);
                entityManager.createNativeQuery("update outbox_message set sent_at = now() where id = ?1")
                        .setParameter(1, id).executeUpdate();
                LOG.debugf("outbox: sent row %d to %s key %s", id, row[1], row[2]);
            }
            return rows.size();
        });
    }

    /** Returns once the broker has acknowledged the record; throws if it refused it or did not answer in time. */
    private void send(String topic, String key, byte[] value) {
        Message<Record<String, byte[]>> message = Message.of(Record.of(key, value))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withTopic(topic).build());
        outbox.sendMessage(message).await().atMost(ACK_TIMEOUT);
    }
}
