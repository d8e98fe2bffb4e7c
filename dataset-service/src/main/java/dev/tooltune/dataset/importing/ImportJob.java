package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.dataset.validation.UndeclaredArguments;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import org.hibernate.annotations.ColumnTransformer;

/**
 * An import of one uploaded file into a new dataset version, with its progress while it runs and its report
 * (counts and the first problems, by line) afterwards.
 */
@Entity
@Table(name = "import_job")
public class ImportJob extends PanacheEntityBase {

    public enum State {
        QUEUED, RUNNING,
        /** A new version was written. */
        SUCCEEDED,
        /** The file had errors (strict mode) or no usable example; nothing was stored. */
        REJECTED,
        /** The import broke for a reason not in the file (e.g. the database went away); nothing was stored. */
        FAILED;

        public boolean finished() {
            return this != QUEUED && this != RUNNING;
        }
    }

    public enum Mode {
        /** Any error rejects the whole file. */
        STRICT,
        /** Valid lines are stored, the rest reported. */
        LENIENT
    }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "dataset_id")
    public Long datasetId;

    @Enumerated(EnumType.STRING)
    public State state;

    @Enumerated(EnumType.STRING)
    public Mode mode;

    @Enumerated(EnumType.STRING)
    public ImportFormat format;

    @Column(name = "keep_invalid")
    public boolean keepInvalid;

    @Column(name = "drop_duplicates")
    public boolean dropDuplicates;

    public boolean append;

    @Enumerated(EnumType.STRING)
    @Column(name = "undeclared_arguments")
    public UndeclaredArguments undeclaredArguments = UndeclaredArguments.WARN;

    @Column(name = "normalize_schema_types")
    public boolean normalizeSchemaTypes;

    @Column(name = "bytes_total")
    public long bytesTotal;

    @Column(name = "bytes_read")
    public long bytesRead;

    @Column(name = "lines_read")
    public long linesRead;

    @Column(name = "examples_stored")
    public long examplesStored;

    @Column(name = "invalid_lines")
    public long invalidLines;

    @Column(name = "duplicate_lines")
    public long duplicateLines;

    @Column(name = "blank_lines")
    public long blankLines;

    @Column(name = "problem_count")
    public long problemCount;

    /** JSON list of {@link ReportedProblem}. */
    @ColumnTransformer(write = "?::jsonb")
    public String problems;

    @Column(name = "version_number")
    public Integer versionNumber;

    public String message;

    /** The replica that runs the job (it holds the spooled upload). */
    public String owner;

    /** The owner's claim; renewed while the job is queued or running. */
    @Column(name = "lease_until")
    public Instant leaseUntil;

    /** The client's Idempotency-Key header, unique per dataset. */
    @Column(name = "idempotency_key")
    public String idempotencyKey;

    @Column(name = "created_at")
    public Instant createdAt;

    @Column(name = "started_at")
    public Instant startedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    public ImportOptions options() {
        return new ImportOptions(mode, format, keepInvalid, dropDuplicates, append, undeclaredArguments, normalizeSchemaTypes);
    }

    void setOptions(ImportOptions options) {
        mode = options.mode();
        format = options.format();
        keepInvalid = options.keepInvalid();
        dropDuplicates = options.dropDuplicates();
        append = options.append();
        undeclaredArguments = options.undeclaredArguments();
        normalizeSchemaTypes = options.normalizeSchemaTypes();
    }
}
