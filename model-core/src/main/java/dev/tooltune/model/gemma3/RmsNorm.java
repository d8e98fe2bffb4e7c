package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Gemma's RMSNorm: {@code x / sqrt(mean(x^2) + eps) * (1 + weight)}, computed in fp32 whatever the compute
 * type, then cast back (the weight is stored as an offset from one, so a zero weight is the identity scale).
 */
final class RmsNorm {
    final String name;
    NDArray weight; // [dim]
    private final float eps;

    RmsNorm(String name, NDArray weight, double eps) {
        this.name = name;
        this.weight = weight;
        this.eps = (float) eps;
    }

    /** x [..., dim] -> [..., dim] in x's type. */
    NDArray forward(NDArray x) {
        var scope = x.getManager();
        NDArray x32 = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, true);
        NDArray variance = x32.square().mean(new int[] {-1}, true);            // [..., 1]
        NDArray normed = x32.div(variance.add(eps).sqrt());                     // [..., dim]
        NDArray weight32 = weight.getDataType() == DataType.FLOAT32 ? weight
                : Scoped.into(scope, weight.toType(DataType.FLOAT32, true));
        NDArray scale = Scoped.into(scope, weight32.add(1f));                   // [dim]
        NDArray out = normed.mul(scale);
        return x.getDataType() == DataType.FLOAT32 ? out : out.toType(x.getDataType(), false);
    }
}
