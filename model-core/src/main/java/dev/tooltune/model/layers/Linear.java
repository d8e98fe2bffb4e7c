package dev.tooltune.model.layers;

import ai.djl.ndarray.NDArray;

/**
 * A linear projection {@code y = x W^T} without bias (Gemma 3 has none). Implementations: a dense
 * weight, a 4-bit NF4 weight dequantised on the fly (QLoRA), and a LoRA wrapper around either.
 * The model only sees this interface, so adapters and quantisation never touch the forward pass.
 */
public interface Linear extends AutoCloseable {

    /** x [..., inFeatures] -> [..., outFeatures]. {@code training} enables dropout where there is any. */
    NDArray forward(NDArray x, boolean training);

    long inFeatures();

    long outFeatures();

    @Override
    void close();
}
