package dev.tooltune.dataset.example;

import dev.tooltune.dataset.validation.PreparedExample;
import dev.tooltune.dataset.version.DatasetVersion;
import dev.tooltune.dataset.version.VersionRows;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import org.hibernate.Session;

/**
 * Makes the versions that edits produce: the base version's membership is copied (positions, not example
 * bodies) with one example replaced or left out. Versions are written and numbered exactly as imports write
 * them ({@link VersionRows}), and the replacement example as imports write examples ({@link ExampleRows}).
 */
@ApplicationScoped
public class VersionEditor {

    /** The new version's id, and the replacement example's id (null for a deletion). */
    public record Edit(long versionId, Long exampleId) {}

    @Transactional
    public Edit replace(DatasetVersion base, long exampleId, int position, boolean oldValid, PreparedExample replacement, String problemsJson) {
        boolean newValid = problemsJson == null;
        return Panache.getEntityManager().unwrap(Session.class).doReturningWork(connection -> {
            long versionId = VersionRows.insertPending(connection, base.datasetId, base.number, DatasetVersion.Origin.EDIT,
                    "replaced example " + exampleId + " at position " + position + " of version " + base.number, null);
            VersionRows.copyMembers(connection, base.id, versionId, position);
            long newId;
            try (ExampleRows rows = new ExampleRows(connection, base.datasetId, versionId, 1)) {
                newId = rows.add(replacement, problemsJson, null, position);
                rows.flush();
            }
            VersionRows.assignNumber(connection, base.datasetId, versionId, base.exampleCount,
                    base.invalidCount - (oldValid ? 0 : 1) + (newValid ? 0 : 1));
            return new Edit(versionId, newId);
        });
    }

    @Transactional
    public Edit remove(DatasetVersion base, long exampleId, int position, boolean oldValid) {
        return Panache.getEntityManager().unwrap(Session.class).doReturningWork(connection -> {
            long versionId = VersionRows.insertPending(connection, base.datasetId, base.number, DatasetVersion.Origin.DELETE,
                    "deleted example " + exampleId + " at position " + position + " of version " + base.number, null);
            VersionRows.copyMembers(connection, base.id, versionId, position);
            VersionRows.assignNumber(connection, base.datasetId, versionId, base.exampleCount - 1, base.invalidCount - (oldValid ? 0 : 1));
            return new Edit(versionId, null);
        });
    }
}
