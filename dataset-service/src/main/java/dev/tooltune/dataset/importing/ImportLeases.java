package dev.tooltune.dataset.importing;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import dev.tooltune.dataset.config.DatasetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * This replica's claim on the imports it runs (their spooled uploads are on its disk): a lease renewed every
 * {@code tooltune.dataset.import.lease-renewal} (a {@code @Scheduled} job, skipped while the previous run is still
 * going) while a job is queued or running. Imports whose owner's lease ran out
 * belong to a replica that stopped; every replica marks those failed. Imports of live replicas are left alone.
 */
@ApplicationScoped
public class ImportLeases {
    private static final Logger LOG = Logger.getLogger(ImportLeases.class);

    @Inject
    DatasetConfig config;

    private final String replicaId = UUID.randomUUID().toString();

    /** A renewal period that could let a live replica's lease run out is refused at start, naming both settings. */
    void checkSettings(@Observes StartupEvent event) {
        Duration lease = config.importing().lease();
        Duration renewal = config.importing().leaseRenewal();
        if (renewal.isZero() || renewal.isNegative() || renewal.multipliedBy(2).compareTo(lease) > 0) {
            throw new IllegalArgumentException("tooltune.dataset.import.lease-renewal (" + renewal + ") must be more "
                    + "than zero and at most half of tooltune.dataset.import.lease (" + lease + ")");
        }
    }

    @Scheduled(identity = "import-leases", every = "${tooltune.dataset.import.lease-renewal}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void renewAndFailAbandoned() {
        try {
            renew();
            failAbandoned();
        } catch (RuntimeException e) {
            LOG.warnf("import leases: %s", e.getMessage());
        }
    }

    /** This replica's id, the owner of the imports it runs. */
    public String replicaId() {
        return replicaId;
    }

    /** When this replica's claim on a job it accepts now runs out, unless renewed. */
    public Instant leaseUntil() {
        return Instant.now().plus(config.importing().lease());
    }

    /** Extends this replica's claim on its queued and running imports. */
    void renew() {
        QuarkusTransaction.requiringNew().run(() -> ImportJob.update("leaseUntil = ?1 where owner = ?2 and state in ?3",
                leaseUntil(), replicaId, List.of(ImportJob.State.QUEUED, ImportJob.State.RUNNING)));
    }

    /**
     * Marks failed the queued and running imports whose owner's lease ran out (that replica stopped; its spooled
     * upload is gone with it). Imports of live replicas, which renew their leases, are left alone.
     */
    public int failAbandoned() {
        int abandoned = QuarkusTransaction.requiringNew().call(() -> ImportJob.update(
                "state = ?1, message = ?2, finishedAt = ?3 where state in ?4 and (leaseUntil is null or leaseUntil < ?3)",
                ImportJob.State.FAILED, "the replica running this import stopped before it finished; nothing was stored, upload the file again",
                Instant.now(), List.of(ImportJob.State.QUEUED, ImportJob.State.RUNNING)));
        if (abandoned > 0) {
            LOG.warnf("marked %d import(s) of stopped replicas as failed", abandoned);
        }
        return abandoned;
    }
}
