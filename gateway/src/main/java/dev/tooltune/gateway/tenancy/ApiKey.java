package dev.tooltune.gateway.tenancy;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.time.Instant;

/** An API key as stored: its hash, never its text; the tenant it acts for; whether it was revoked. */
@Entity
public class ApiKey extends PanacheEntityBase {
    @Id
    public String id;
    public String tenantId;
    @Column(columnDefinition = "bpchar")
    public String keyHash;
    public String keyPrefix;
    public Instant createdAt;
    public Instant revokedAt;
}
