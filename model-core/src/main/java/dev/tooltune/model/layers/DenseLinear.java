package dev.tooltune.model.layers;

import ai.djl.ndarray.NDArray;

/**
 * A plain weight matrix {@code W [out, in]} in Hugging Face's layout; forward is {@code x W^T} through libtorch's
 * fused {@code linear}, so the result belongs to the input's manager and autograd reaches {@code W} when it
 * requires a gradient (full fine-tuning).
 */
public final class DenseLinear implements Linear {
    private final NDArray weight;

    public DenseLinear(NDArray weight) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("a linear weight is [out, in], got " + weight.getShape());
        }
        this.weight = weight;
    }

    /** [out, in], shared, not copied. */
    public NDArray weight() {
        return weight;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        // x [..., in] -> [..., out]
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }

    @Override
    public long inFeatures() {
        return weight.getShape().get(1);
    }

    @Override
    public long outFeatures() {
        return weight.getShape().get(0);
    }

    @Override
    public void close() {
        weight.close();
    }
}
