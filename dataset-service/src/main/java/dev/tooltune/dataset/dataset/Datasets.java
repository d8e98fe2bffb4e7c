package dev.tooltune.dataset.dataset;

import dev.tooltune.dataset.api.ApiException;
import io.quarkus.hibernate.orm.panache.Panache;

/**
 * Lookups of datasets for the other packages, within the caller's tenant: another tenant's dataset does not exist
 * (404). What this package needs to know about versions it reads from their table, so that it depends on no other
 * package of the service (versions belong to datasets, not the other way round).
 */
public final class Datasets {
    private Datasets() {}

    public static Dataset require(String tenantId, long datasetId) {
        Dataset dataset = Dataset.findOwned(tenantId, datasetId);
        if (dataset == null) {
            throw ApiException.notFound("dataset " + datasetId + " does not exist");
        }
        return dataset;
    }

    /** How many numbered versions the dataset has, its latest and its latest frozen version number. */
    record VersionSummary(int count, Integer latest, Integer latestFrozen) {}

    static VersionSummary versions(long datasetId) {
        Object[] row = (Object[]) Panache.getEntityManager().createNativeQuery("""
                select count(*), max(number), max(number) filter (where frozen_at is not null)
                from dataset_version where dataset_id = :id and number is not null""")
                .setParameter("id", datasetId)
                .getSingleResult();
        return new VersionSummary(((Number) row[0]).intValue(), row[1] == null ? null : ((Number) row[1]).intValue(),
                row[2] == null ? null : ((Number) row[2]).intValue());
    }

    static long frozenVersions(long datasetId) {
        return ((Number) Panache.getEntityManager().createNativeQuery(
                        "select count(*) from dataset_version where dataset_id = :id and frozen_at is not null")
                .setParameter("id", datasetId)
                .getSingleResult()).longValue();
    }
}
