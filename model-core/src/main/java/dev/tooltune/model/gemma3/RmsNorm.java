package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.kernels.TrainingKernel;

/**
 * Gemma's RMSNorm: {@code x / sqrt(mean(x^2) + eps) * (1 + weight)}, computed in fp32 whatever the compute
 * type, then cast back (the weight is stored as an offset from one, so a zero weight is the identity scale).
 * The fp32 scale {@code 1 + weight} and eps live on the weight's device, made once per weight (not rebuilt
 * and copied from the host on every call); with the native library the whole norm is one fused op.
 */
final class RmsNorm {
    final String name;
    NDArray weight; // [dim]
    private final float eps;
    private NDArray scaleOf;   // the weight the cached constants were made from
    private NDArray scale;     // fp32 [dim] = 1 + weight
    private NDArray epsilon;   // fp32 scalar

    RmsNorm(String name, NDArray weight, double eps) {
        this.name = name;
        this.weight = weight;
        this.eps = (float) eps;
    }

    /** x [..., dim] -> [..., dim] in x's type. */
    NDArray forward(NDArray x) {
        NDArray scale = scale();
        if (Kernels.enabled(TrainingKernel.RMS_NORM)) {
            return Kernels.rmsNorm(x, scale, null, eps);
        }
        if (Kernels.available()) {
            return Kernels.rmsNorm(x, scale, eps);
        }
        NDArray x32 = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, true);
        NDArray variance = x32.square().mean(new int[] {-1}, true);            // [..., 1]
        NDArray normed = x32.div(variance.add(epsilon).sqrt());                 // [..., dim]
        NDArray out = normed.mul(scale);
        return x.getDataType() == DataType.FLOAT32 ? out : out.toType(x.getDataType(), false);
    }

    /** residual + norm(x): Gemma's post-attention and post-feedforward norms with the residual add after them. */
    NDArray forwardAdd(NDArray x, NDArray residual) {
        if (Kernels.enabled(TrainingKernel.RMS_NORM)) {
            return Kernels.rmsNorm(x, scale(), residual, eps);
        }
        return residual.add(forward(x));
    }

    /** 1 + weight in fp32, owned by the weight's manager (outlives any forward-pass scope), remade if the weight is replaced. */
    synchronized NDArray scale() {
        if (scaleOf != weight) {
            NDArray weight32 = weight.toType(DataType.FLOAT32, true);
            NDArray one = weight.getManager().full(new Shape(), 1f, DataType.FLOAT32);
            NDArray made = weight32.add(one);
            NDArray madeEps = weight.getManager().full(new Shape(), eps, DataType.FLOAT32);
            for (NDArray temporary : new NDArray[] {weight32, one}) {
                temporary.close();
            }
            NDScope.unregister(made, madeEps);
            made.attach(weight.getManager());
            madeEps.attach(weight.getManager());
            if (scale != null) {
                scale.close();
                epsilon.close();
            }
            scale = made;
            epsilon = madeEps;
            scaleOf = weight;
        }
        return scale;
    }
}
