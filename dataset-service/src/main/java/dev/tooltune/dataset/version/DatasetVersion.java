package dev.tooltune.dataset.version;

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
import java.util.List;

/**
 * One immutable state of a dataset: an ordered set of examples. Versions are numbered 1, 2, 3 ... per dataset;
 * a version never changes after it is written, edits make a new one. Freezing marks a version for training:
 * it then can no longer be deleted.
 */
@Entity
@Table(name = "dataset_version")
public class DatasetVersion extends PanacheEntityBase {

    public enum Origin { IMPORT, EDIT, DELETE }

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "dataset_id")
    public Long datasetId;

    public Integer number;

    @Column(name = "parent_number")
    public Integer parentNumber;

    @Enumerated(EnumType.STRING)
    public Origin origin;

    public String note;

    @Column(name = "import_job_id")
    public Long importJobId;

    @Column(name = "example_count")
    public int exampleCount;

    @Column(name = "invalid_count")
    public int invalidCount;

    @Column(name = "frozen_at")
    public Instant frozenAt;

    @Column(name = "created_at")
    public Instant createdAt;

    public boolean frozen() {
        return frozenAt != null;
    }

    public static List<DatasetVersion> listFor(long datasetId) {
        return list("datasetId = ?1 and number is not null order by number", datasetId);
    }

    public static DatasetVersion findNumber(long datasetId, int number) {
        return find("datasetId = ?1 and number = ?2", datasetId, number).firstResult();
    }

    public static DatasetVersion findLatest(long datasetId) {
        return find("datasetId = ?1 and number is not null order by number desc", datasetId).firstResult();
    }
}
