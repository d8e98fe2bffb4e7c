package dev.tooltune.model.layers;

import ai.djl.ndarray.NDArray;

/**
 * An update added to a projection's output that depends on the row of the batch, e.g. each row's own LoRA adapter
 * (see {@code lora.AdapterBatch}). The projection's weights are never touched: the forward pass computes
 * {@code y = base(x) + delta(x)} for the rows this update covers.
 */
public interface ProjectionDelta {

    /**
     * x [B,T,in] -> [B,T,out], the update of projection {@code projectionName} (Hugging Face module name), in x's
     * manager; or null when no row has one for this projection.
     */
    NDArray delta(String projectionName, NDArray x);
}
