package dev.tooltune.contracts.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the learning rate falls from its peak (after warm-up) to the last step. */
public enum LearningRateDecay {
    /** Half a cosine wave down to 0. */
    @JsonProperty("cosine") COSINE,
    /** A straight line down to 0. */
    @JsonProperty("linear") LINEAR,
    /** Stays at the peak. */
    @JsonProperty("constant") CONSTANT
}
