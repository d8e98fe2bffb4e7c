package dev.tooltune.gateway.tenancy;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.time.Instant;
import java.util.regex.Pattern;

/** A customer: owns keys, files, jobs and adapters. Its id travels to the other services as X-Tooltune-Tenant. */
@Entity
public class Tenant extends PanacheEntityBase {
    /** The agreed tenant id format (X-Tooltune-Tenant). */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    @Id
    public String id;
    public Instant createdAt;
}
