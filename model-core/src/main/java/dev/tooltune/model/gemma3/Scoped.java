package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DJL gives an op's result to the manager of the array the op was called on. When that array is a weight
 * (owned by the model for its lifetime), the result must be moved to the forward pass's manager, or every
 * forward would leak it. This is the one place that does so.
 */
final class Scoped {
    private Scoped() {
    }

    /** Moves {@code result} of an op called on a long-lived array into {@code scope}. */
    static NDArray into(NDManager scope, NDArray result) {
        result.attach(scope);
        return result;
    }
}
