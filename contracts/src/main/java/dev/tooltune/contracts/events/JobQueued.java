package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/** The job was accepted and waits for a free worker. */
public record JobQueued(String eventId, String jobId, String tenantId, Instant occurredAt, String message)
        implements TrainingEvent {

    public static final String TYPE = "queued";

    @Override
    public void validate(Violations violations) {
        TrainingEvent.validateCommon(this, violations);
        TrainingEvent.validateMessage(message, violations);
    }
}
