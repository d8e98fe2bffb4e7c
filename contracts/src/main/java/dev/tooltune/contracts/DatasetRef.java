package dev.tooltune.contracts;

import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violations;

/**
 * One frozen (immutable) version of a dataset in dataset-service; training reads exactly these examples.
 *
 * @param datasetId the dataset's id in dataset-service
 * @param version   the version number, 1 or more; the version must be frozen before a job names it
 */
public record DatasetRef(String datasetId, Integer version) implements Validatable {

    @Override
    public void validate(Violations violations) {
        violations.id("datasetId", datasetId);
        violations.range("version", version, 1, Integer.MAX_VALUE);
    }
}
