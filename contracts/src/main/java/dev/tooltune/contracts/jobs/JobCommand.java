package dev.tooltune.contracts.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import dev.tooltune.contracts.validation.Validatable;

/**
 * A command about one job, keyed by {@link #jobId()}: a submit on {@code training-jobs} (a share-group queue), or a
 * cancel on {@code training-cancels} (a broadcast to every worker). A {@code type} this version
 * does not know (added by a newer producer) is read as {@link UnrecognizedJobCommand}, which consumers skip.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type", visible = true,
        defaultImpl = UnrecognizedJobCommand.class)
@JsonSubTypes({
        @JsonSubTypes.Type(value = TrainingJob.class, name = TrainingJob.TYPE),
        @JsonSubTypes.Type(value = CancelTrainingJob.class, name = CancelTrainingJob.TYPE)
})
public sealed interface JobCommand extends Validatable
        permits TrainingJob, CancelTrainingJob, UnrecognizedJobCommand {

    String jobId();

    String tenantId();
}
