package dev.tooltune.contracts.jobs;

import dev.tooltune.contracts.validation.Violations;

/**
 * A {@code training-jobs} message whose {@code type} this version does not know: a command added later by a
 * newer producer, within the same schema version. Consumers log and skip it.
 */
public record UnrecognizedJobCommand(String type, String jobId, String tenantId) implements JobCommand {

    @Override
    public void validate(Violations violations) {
        violations.required("type", type);
        violations.required("jobId", jobId);
    }
}
