package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/**
 * The job stopped without an adapter.
 *
 * @param reason  what kind of failure, for programs (and OpenAI's {@code error.code})
 * @param message what happened and what to do about it, for people, e.g. "example 17 (line 17) has 9,120
 *                tokens, more than maxLength 4096"
 */
public record JobFailed(
        String eventId,
        String jobId,
        String tenantId,
        Instant occurredAt,
        FailureKind reason,
        String message) implements TrainingEvent {

    public static final String TYPE = "failed";

    @Override
    public boolean terminal() {
        return true;
    }

    @Override
    public void validate(Violations violations) {
        TrainingEvent.validateCommon(this, violations);
        violations.required("reason", reason);
        violations.required("message", message);
        TrainingEvent.validateMessage(message, violations);
    }
}
