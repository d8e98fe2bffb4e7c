package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/** The job was stopped by a cancel request; no adapter is published. */
public record JobCancelled(String eventId, String jobId, String tenantId, Instant occurredAt, String message)
        implements TrainingEvent {

    public static final String TYPE = "cancelled";

    @Override
    public boolean terminal() {
        return true;
    }

    @Override
    public void validate(Violations violations) {
        TrainingEvent.validateCommon(this, violations);
        TrainingEvent.validateMessage(message, violations);
    }
}
