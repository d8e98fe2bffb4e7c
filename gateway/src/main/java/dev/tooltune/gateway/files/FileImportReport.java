package dev.tooltune.gateway.files;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * The import report of an upload that was refused: every problem dataset-service kept (errors first), so that the
 * error answer, which names only the first few, can link the rest. The file itself is not kept.
 */
@Entity
@Table(name = "file_import_report")
public class FileImportReport extends PanacheEntityBase {
    @Id
    public String id;
    public String tenantId;
    public String filename;
    public long problemCount;
    public String message;
    /** [{line, path, reason, severity}], as dataset-service reported them. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public String problems;
    public Instant createdAt;

    /** The tenant's report; another tenant's looks exactly like a missing one. */
    public static Optional<FileImportReport> owned(String tenantId, String id) {
        return find("id = ?1 and tenantId = ?2", id, tenantId).firstResultOptional();
    }
}
