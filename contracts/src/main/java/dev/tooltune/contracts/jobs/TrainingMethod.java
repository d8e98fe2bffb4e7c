package dev.tooltune.contracts.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the base model's weights are trained. */
public enum TrainingMethod {
    /** Low-rank adapters on a frozen base model in full or half precision. */
    @JsonProperty("lora") LORA,
    /** LoRA on a base model quantized to 4 bits (NF4), to fit smaller GPUs. */
    @JsonProperty("qlora") QLORA,
    /** All weights trained; the result is a whole model, not an adapter. */
    @JsonProperty("full") FULL;

    public boolean usesAdapters() {
        return this != FULL;
    }
}
