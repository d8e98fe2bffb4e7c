package dev.tooltune.gateway.jobs;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A fine-tuning job in the registry: what was asked (the recipe sent to trainers) and where it stands. */
@Entity
@Table(name = "fine_tuning_job")
public class FineTuningJob extends PanacheEntityBase {
    @Id
    public String id;
    public String tenantId;
    public String model;
    public String trainingFile;
    public String validationFile;
    public String suffix;
    public long seed;
    public String status;
    /** The training-jobs submit message as sent (MessageCodec JSON). */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public String recipe;
    public String fineTunedModel;
    public String adapterId;
    public Long trainedTokens;
    public String errorCode;
    public String errorMessage;
    public String errorParam;
    public Instant cancelRequestedAt;
    public Instant estimatedFinish;
    public Instant createdAt;
    public Instant finishedAt;
    /** When a trainer last reported on the job (or the gateway queued it); null before the first report. */
    public Instant lastEventAt;
    /** How often {@link JobWatchdog} queued the job again because no trainer reported on it. */
    public int requeues;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public String metadata;

    /** The tenant's job; another tenant's looks exactly like a missing one. */
    public static Optional<FineTuningJob> owned(String tenantId, String jobId) {
        return find("id = ?1 and tenantId = ?2", jobId, tenantId).firstResultOptional();
    }

    /** Unfinished jobs of which no trainer has reported since {@code before}, whose submit record was sent. */
    @SuppressWarnings("unchecked")
    public static List<FineTuningJob> silentSince(Instant before) {
        return getEntityManager().createNativeQuery("select * from fine_tuning_job j where j.status in "
                        + "('validating_files', 'queued', 'running') and coalesce(j.last_event_at, j.created_at) < ?1 "
                        + "and not exists (select 1 from outbox_message o where o.record_key = j.id and o.sent_at is null) "
                        + "order by j.created_at limit 100 for update skip locked", FineTuningJob.class)
                .setParameter(1, before)
                .getResultList();
    }

    public boolean finished() {
        return JobStatus.isTerminal(status);
    }
}
