package dev.tooltune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import dev.tooltune.model.layers.Linear;

/**
 * A LoRA adapter around a frozen projection: {@code y = base(x) + scaling * dropout(x) A^T B^T}.
 * The base (dense or NF4) is the model's own layer, held by reference and never copied; only A [r, in]
 * and B [out, r] are trained.
 */
public final class LoraLinear implements Linear {

    private final Linear base;
    private final NDArray loraA;   // [r, in]
    private final NDArray loraB;   // [out, r]
    private final float scaling;
    private final float dropout;

    LoraLinear(Linear base, NDArray loraA, NDArray loraB, double scaling, double dropout) {
        if (loraA.getShape().get(1) != base.inFeatures() || loraB.getShape().get(0) != base.outFeatures()
                || loraA.getShape().get(0) != loraB.getShape().get(1)) {
            throw new IllegalArgumentException("LoRA shapes A " + loraA.getShape() + ", B " + loraB.getShape()
                    + " do not fit a projection [" + base.outFeatures() + ", " + base.inFeatures() + "]");
        }
        this.base = base;
        this.loraA = loraA;
        this.loraB = loraB;
        this.scaling = (float) scaling;
        this.dropout = (float) dropout;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        // x [..., in] -> [..., out]. The scaling is a libtorch-owned scalar on purpose: DJL's mul(Number) wraps the
        // number in a tensor over a Java buffer and closes it at once, while autograd keeps it for backward; a GC
        // in between frees that buffer and backward reads garbage (see LoraLinearTest).
        NDArray input = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray factor = x.getManager().full(new Shape(), scaling, dev.tooltune.model.kernels.Kernels.scalarType(x));
        NDArray update = input.matMul(loraA.transpose()).matMul(loraB.transpose()).mul(factor); // [..., out]
        return base.forward(x, training).add(update);
    }

    /** The dense update this adapter adds to the base weight: {@code scaling * B A}, [out, in]. */
    public NDArray delta() {
        return loraB.matMul(loraA).mul(scaling);
    }

    public Linear base() {
        return base;
    }

    public NDArray loraA() {
        return loraA;
    }

    public NDArray loraB() {
        return loraB;
    }

    @Override
    public long inFeatures() {
        return base.inFeatures();
    }

    @Override
    public long outFeatures() {
        return base.outFeatures();
    }

    /** Closes nothing: A and B belong to their {@link LoraAdapter}, the base to the model. */
    @Override
    public void close() {}
}
