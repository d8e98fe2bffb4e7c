package dev.tooltune.contracts.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Why a job failed, so that a user knows what to change; the event's message gives the details. */
public enum FailureKind {
    /** The dataset version is missing, not frozen, empty, or has examples the trainer cannot use. */
    @JsonProperty("invalid_dataset") INVALID_DATASET,
    /** The base model id or path does not resolve to Gemma 3 weights the trainer can load. */
    @JsonProperty("unknown_model") UNKNOWN_MODEL,
    /** Device or host memory ran out: lower batchSize or maxLength, or use qlora. */
    @JsonProperty("out_of_memory") OUT_OF_MEMORY,
    /** The hyperparameters cannot work for this model or data, e.g. a target module the model lacks. */
    @JsonProperty("invalid_hyperparameters") INVALID_HYPERPARAMETERS,
    /** The loss became NaN or infinite: lower the learning rate. */
    @JsonProperty("training_diverged") TRAINING_DIVERGED,
    /** A fault on our side (a bug, storage or network trouble); retrying may help. */
    @JsonProperty("internal_error") INTERNAL_ERROR,
    /** A kind added by a newer producer that this version does not know. */
    @JsonEnumDefaultValue @JsonProperty("other") OTHER
}
