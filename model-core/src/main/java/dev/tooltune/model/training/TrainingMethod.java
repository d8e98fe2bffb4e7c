package dev.tooltune.model.training;

/** How the weights are trained. */
public enum TrainingMethod {
    /** Frozen dense base, LoRA adapters trained. */
    LORA,
    /** Frozen base quantised to NF4 (double-quantised scales), LoRA adapters in full precision. */
    QLORA,
    /** Every weight trained (embeddings, norms, projections); meant for the 270M size. */
    FULL
}
