package dev.tooltune.dataset.dataset;

import dev.tooltune.dataset.api.ApiException;

/** Finds the dataset a request names, within the caller's tenant: another tenant's dataset does not exist (404). */
public final class Datasets {
    private Datasets() {}

    public static Dataset require(String tenantId, long datasetId) {
        Dataset dataset = Dataset.findOwned(tenantId, datasetId);
        if (dataset == null) {
            throw ApiException.notFound("dataset " + datasetId + " does not exist");
        }
        return dataset;
    }
}
