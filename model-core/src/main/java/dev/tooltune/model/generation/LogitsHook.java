package dev.tooltune.model.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Sees each step's next-token logits before sampling and may change them, e.g. set disallowed tokens to
 * -infinity for constrained decoding. Rows of sequences that already finished are ignored whatever is returned.
 */
@FunctionalInterface
public interface LogitsHook {
    /**
     * @param step      0 for the first generated token
     * @param logits    [B,V] fp32, in a manager that lives for this step only
     * @param generated per row, the tokens generated so far (prompt excluded)
     * @return the logits to sample from ([B,V]; the same array or a new one in the same manager)
     */
    NDArray apply(int step, NDArray logits, List<int[]> generated);
}
