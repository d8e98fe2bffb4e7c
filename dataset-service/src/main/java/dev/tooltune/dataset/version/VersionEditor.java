package dev.tooltune.dataset.version;

import dev.tooltune.dataset.example.StoredExample;
import dev.tooltune.dataset.storage.JsonbText;
import dev.tooltune.dataset.validation.PreparedExample;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;

/**
 * Makes the versions that edits produce: the base version's membership is copied (positions, not example
 * bodies) with one example replaced or left out. Numbers are assigned under a lock on the dataset row, so
 * concurrent edits get consecutive numbers.
 */
@ApplicationScoped
public class VersionEditor {

    public record Edit(DatasetVersion version, Long exampleId) {}

    @Transactional
    public Edit replace(DatasetVersion base, long exampleId, int position, boolean oldValid, PreparedExample replacement, String problemsJson) {
        EntityManager em = Panache.getEntityManager();
        boolean newValid = problemsJson == null;
        DatasetVersion version = newVersion(base, DatasetVersion.Origin.EDIT,
                "replaced example " + exampleId + " at position " + position + " of version " + base.number,
                base.exampleCount, base.invalidCount - (oldValid ? 0 : 1) + (newValid ? 0 : 1));
        copyMembersExcept(em, base.id, version.id, position);
        long newId = ((Number) em.createNativeQuery("select nextval(pg_get_serial_sequence('example', 'id'))").getSingleResult()).longValue();
        StoredExample example = new StoredExample();
        example.id = newId;
        example.datasetId = base.datasetId;
        example.body = replacement.body();
        example.contentHash = replacement.contentHash();
        example.calledTools = JsonbText.safe(replacement.calledTools());
        example.messageCount = replacement.messageCount();
        example.callCount = replacement.callCount();
        example.valid = newValid;
        example.problems = JsonbText.safe(problemsJson);
        example.persist();
        em.flush();
        em.createNativeQuery("insert into version_example (version_id, position, example_id) values (:v, :p, :e)")
                .setParameter("v", version.id).setParameter("p", position).setParameter("e", newId)
                .executeUpdate();
        return new Edit(version, newId);
    }

    @Transactional
    public Edit remove(DatasetVersion base, long exampleId, int position, boolean oldValid) {
        EntityManager em = Panache.getEntityManager();
        DatasetVersion version = newVersion(base, DatasetVersion.Origin.DELETE,
                "deleted example " + exampleId + " at position " + position + " of version " + base.number,
                base.exampleCount - 1, base.invalidCount - (oldValid ? 0 : 1));
        copyMembersExcept(em, base.id, version.id, position);
        return new Edit(version, null);
    }

    private static DatasetVersion newVersion(DatasetVersion base, DatasetVersion.Origin origin, String note, int examples, int invalid) {
        EntityManager em = Panache.getEntityManager();
        em.createNativeQuery("select id from dataset where id = :id for update").setParameter("id", base.datasetId).getResultList();
        int number = ((Number) em.createNativeQuery("select coalesce(max(number), 0) + 1 from dataset_version where dataset_id = :id")
                .setParameter("id", base.datasetId).getSingleResult()).intValue();
        DatasetVersion version = new DatasetVersion();
        version.datasetId = base.datasetId;
        version.number = number;
        version.parentNumber = base.number;
        version.origin = origin;
        version.note = note;
        version.exampleCount = examples;
        version.invalidCount = invalid;
        version.createdAt = Instant.now();
        version.persist();
        em.flush();
        return version;
    }

    private static void copyMembersExcept(EntityManager em, long fromVersionId, long toVersionId, int skippedPosition) {
        em.createNativeQuery("""
                insert into version_example (version_id, position, example_id)
                select :to, position, example_id from version_example where version_id = :from and position <> :skip""")
                .setParameter("to", toVersionId).setParameter("from", fromVersionId).setParameter("skip", skippedPosition)
                .executeUpdate();
    }
}
