package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/**
 * A {@code training-events} message whose {@code type} this version does not know: an event added later by a
 * newer producer, within the same schema version. Consumers skip it.
 */
public record UnrecognizedTrainingEvent(String type, String eventId, String jobId, String tenantId, Instant occurredAt)
        implements TrainingEvent {

    @Override
    public void validate(Violations violations) {
        violations.required("type", type);
        violations.required("jobId", jobId);
    }
}
