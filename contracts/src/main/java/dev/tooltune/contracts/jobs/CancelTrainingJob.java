package dev.tooltune.contracts.jobs;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/**
 * A request to stop a job ({@code "type": "cancel"} on {@code training-cancels}, keyed by the job id). The worker
 * running it stops within one optimizer step and publishes {@code cancelled}; a job not started yet is never
 * started. Cancelling a finished or unknown job has no effect.
 *
 * @param reason optional, for the job's event log (at most 1000 characters)
 */
public record CancelTrainingJob(String jobId, String tenantId, Instant requestedAt, String reason)
        implements JobCommand {

    public static final String TYPE = "cancel";

    @Override
    public void validate(Violations violations) {
        violations.id("jobId", jobId);
        violations.id("tenantId", tenantId);
        violations.required("requestedAt", requestedAt);
        violations.maxLength("reason", reason, 1000);
    }
}
