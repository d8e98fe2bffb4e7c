package dev.tooltune.dataset.dataset;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A named collection of tool-calling examples; its content lives in numbered {@code DatasetVersion}s. */
@Entity
@Table(name = "dataset")
public class Dataset extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    /** The owner; every request names its tenant and only ever sees that tenant's datasets. */
    @Column(name = "tenant_id")
    public String tenantId;

    /** Unique within the tenant. */
    public String name;

    public String description;

    @Column(name = "created_at")
    public Instant createdAt;

    public static Dataset findByName(String tenantId, String name) {
        return find("tenantId = ?1 and name = ?2", tenantId, name).firstResult();
    }

    /** The tenant's dataset, or null when it does not exist or belongs to another tenant (indistinguishable to callers). */
    public static Dataset findOwned(String tenantId, long id) {
        return find("tenantId = ?1 and id = ?2", tenantId, id).firstResult();
    }
}
