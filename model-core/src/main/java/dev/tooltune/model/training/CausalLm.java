package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tooltune.model.layers.Projection;
import java.util.List;

/**
 * What the trainer needs from a decoder-only language model. The loss is computed from hidden states
 * against the (tied) output embedding in chunks, so the model never materialises [B, T, vocab] logits.
 */
public interface CausalLm {

    /**
     * The final-norm hidden states for a batch.
     *
     * @param inputIds   [B, T] int64 token ids
     * @param positions  [B, T] int64 position of each token within its segment
     * @param segmentIds [B, T] int64; a token attends to earlier tokens with the same non-zero segment id
     * @return [B, T, hidden]
     */
    NDArray hiddenStates(NDArray inputIds, NDArray positions, NDArray segmentIds, boolean training);

    /** [vocab, hidden]: logits = hidden · embedding^T. */
    NDArray outputEmbedding();

    /** Gemma's final logit soft-capping (cap · tanh(logits / cap)), or 0 when the config has none. */
    double finalLogitSoftcapping();

    /** The model's linear projection slots, where LoRA and NF4 layers go. */
    List<Projection> projections();

    /** Every weight of the model, for full fine-tuning (must be dense: projections not quantised). */
    List<NDArray> parameters();

    NDManager manager();

    /**
     * Recompute layers in the backward pass instead of keeping their activations, where the model supports it
     * (the trainer turns it on for QLoRA, whose point is memory). Default: not supported, ignored.
     */
    default void activationCheckpointing(boolean enabled) {
    }
}
