package dev.tooltune.dataset.example;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.ColumnTransformer;

/**
 * One example as stored: its canonical JSON and what queries need about it. Rows are shared by every version
 * that contains the example; they are written in bulk by imports (JDBC batches) and read here.
 */
@Entity
@Table(name = "example")
public class StoredExample extends PanacheEntityBase {
    @Id
    public Long id;

    @Column(name = "dataset_id")
    public Long datasetId;

    public String body;

    @Column(name = "content_hash")
    public byte[] contentHash;

    /** JSON list of called tool names, one per call. */
    @Column(name = "called_tools")
    @ColumnTransformer(write = "?::jsonb")
    public String calledTools;

    @Column(name = "message_count")
    public int messageCount;

    @Column(name = "call_count")
    public int callCount;

    public boolean valid;

    /** JSON list of {path, reason}, null when valid. */
    @ColumnTransformer(write = "?::jsonb")
    public String problems;

    @Column(name = "source_line")
    public Long sourceLine;

    @Column(name = "token_count")
    public Integer tokenCount;
}
