package dev.tooltune.dataset.version;

import java.time.Instant;

public record VersionView(long datasetId, int number, Integer parentNumber, DatasetVersion.Origin origin, String note,
                          Long importJobId, int exampleCount, int invalidCount, boolean frozen, Instant frozenAt,
                          Instant createdAt) {

    public static VersionView of(DatasetVersion version) {
        return new VersionView(version.datasetId, version.number, version.parentNumber, version.origin, version.note,
                version.importJobId, version.exampleCount, version.invalidCount, version.frozen(), version.frozenAt,
                version.createdAt);
    }
}
