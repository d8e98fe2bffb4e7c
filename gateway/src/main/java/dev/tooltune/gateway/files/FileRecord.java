package dev.tooltune.gateway.files;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;

/** An uploaded file: the tenant's name for one frozen dataset version in dataset-service. */
@Entity
@Table(name = "file")
public class FileRecord extends PanacheEntityBase {
    @Id
    public String id;
    public String tenantId;
    public String filename;
    public String purpose;
    public long bytes;
    public String datasetId;
    public int datasetVersion;
    public Integer examples;
    public Instant createdAt;

    /** The tenant's file; another tenant's looks exactly like a missing one. */
    public static Optional<FileRecord> owned(String tenantId, String fileId) {
        return find("id = ?1 and tenantId = ?2", fileId, tenantId).firstResultOptional();
    }
}
