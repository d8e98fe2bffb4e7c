package dev.tooltune.contracts.events;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violations;

/**
 * A message on {@code training-events}, keyed by {@link #jobId()}, so that one job's events stay in order. The
 * {@code type} follows OpenAI's fine-tuning job statuses: validating, queued, running, then one of succeeded,
 * failed or cancelled (terminal). An unknown {@code type} is read as {@link UnrecognizedTrainingEvent}, which
 * consumers skip.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type", visible = true,
        defaultImpl = UnrecognizedTrainingEvent.class)
@JsonSubTypes({
        @JsonSubTypes.Type(value = JobValidating.class, name = JobValidating.TYPE),
        @JsonSubTypes.Type(value = JobQueued.class, name = JobQueued.TYPE),
        @JsonSubTypes.Type(value = JobRunning.class, name = JobRunning.TYPE),
        @JsonSubTypes.Type(value = JobSucceeded.class, name = JobSucceeded.TYPE),
        @JsonSubTypes.Type(value = JobFailed.class, name = JobFailed.TYPE),
        @JsonSubTypes.Type(value = JobCancelled.class, name = JobCancelled.TYPE)
})
public sealed interface TrainingEvent extends Validatable
        permits JobValidating, JobQueued, JobRunning, JobSucceeded, JobFailed, JobCancelled, UnrecognizedTrainingEvent {

    /** Unique per event (a UUID, say): a consumer that sees an event id twice (redelivery) ignores the copy. */
    String eventId();

    String jobId();

    String tenantId();

    Instant occurredAt();

    /** True for succeeded, failed and cancelled: no event of this job follows. */
    default boolean terminal() {
        return false;
    }

    /** The fields every event has. */
    static void validateCommon(TrainingEvent event, Violations violations) {
        violations.id("eventId", event.eventId());
        violations.id("jobId", event.jobId());
        violations.id("tenantId", event.tenantId());
        violations.required("occurredAt", event.occurredAt());
    }

    /** Free text for people, optional on most events. */
    static void validateMessage(String message, Violations violations) {
        violations.maxLength("message", message, 4000);
    }
}
