package dev.tooltune.dataset.version;

import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.dataset.Datasets;

/** Finds the version a request names: a number, or {@code latest}. */
public final class Versions {
    private Versions() {}

    /** The version of the tenant's dataset; 404 when either does not exist (or the dataset is another tenant's). */
    public static DatasetVersion require(String tenantId, long datasetId, String version) {
        Datasets.require(tenantId, datasetId);
        DatasetVersion found;
        if ("latest".equalsIgnoreCase(version)) {
            found = DatasetVersion.findLatest(datasetId);
            if (found == null) {
                throw ApiException.notFound("dataset " + datasetId + " has no versions yet; import a file first");
            }
            return found;
        }
        int number;
        try {
            number = Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("a version is a number or \"latest\", not \"" + version + "\"");
        }
        found = DatasetVersion.findNumber(datasetId, number);
        if (found == null) {
            throw ApiException.notFound("dataset " + datasetId + " has no version " + number);
        }
        return found;
    }
}
