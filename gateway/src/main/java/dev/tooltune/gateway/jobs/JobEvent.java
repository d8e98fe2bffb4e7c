package dev.tooltune.gateway.jobs;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * One line of a job's event log: a training-events message as received (its eventId is the key, so a redelivered
 * copy is never stored twice) or a note of the gateway's own (created, cancel requested).
 */
@Entity
@Table(name = "job_event")
public class JobEvent extends PanacheEntityBase {
    @Id
    public String eventId;
    /** Arrival order (a bigserial): events are listed by it. */
    @Column(insertable = false, updatable = false)
    public Long seq;
    public String jobId;
    public String type;
    public String level;
    public String message;
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public String data;
    public Instant occurredAt;
}
