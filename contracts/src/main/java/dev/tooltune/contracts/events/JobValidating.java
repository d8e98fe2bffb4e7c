package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/** The job's datasets and base model are being checked before it is queued. */
public record JobValidating(String eventId, String jobId, String tenantId, Instant occurredAt, String message)
        implements TrainingEvent {

    public static final String TYPE = "validating";

    @Override
    public void validate(Violations violations) {
        TrainingEvent.validateCommon(this, violations);
        TrainingEvent.validateMessage(message, violations);
    }
}
