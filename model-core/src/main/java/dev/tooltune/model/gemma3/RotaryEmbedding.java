package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.config.RopeParameters;

/**
 * Rotary position embedding of one attention type (Gemma 3 keeps two: local base 10k for sliding layers, global
 * base 1M with optional linear scaling for full layers). Angles are computed in fp32 from the position ids, as
 * transformers does, then cast to the compute type.
 */
final class RotaryEmbedding {
    private final NDArray inverseFrequencies; // [1,1,headDim/2] fp32, owned by the model

    RotaryEmbedding(RopeParameters parameters, int headDim, NDManager modelManager) {
        this.inverseFrequencies = modelManager.create(parameters.inverseFrequencies(headDim)).reshape(1, 1, -1);
    }

    /** fp32 [1,1,headDim/2]. */
    NDArray inverseFrequencies() {
        return inverseFrequencies;
    }

    /** positionIds [B,T] int64 -> {cos, sin}, each [B,1,T,headDim] in {@code type}. */
    NDList cosSin(NDArray positionIds, DataType type) {
        NDArray angles = positionIds.toType(DataType.FLOAT32, false).expandDims(-1)
                .mul(inverseFrequencies);                                                  // [B,T,D/2]
        NDArray full = NDArrays.concat(new NDList(angles, angles), -1).expandDims(1);      // [B,1,T,D]
        NDArray cos = full.cos();
        NDArray sin = full.sin();
        if (type != DataType.FLOAT32) {
            cos = cos.toType(type, false);
            sin = sin.toType(type, false);
        }
        return new NDList(cos, sin);
    }

    /**
     * x [B,heads,T,D] (or [B,T,heads,D] with cos/sin [B,T,1,D]) rotated: x*cos + rotate_half(x)*sin, where
     * rotate_half(x) = [-x2, x1]. The native kernel computes in fp32 and keeps x's type (bf16 under autocast).
     */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        if (dev.tooltune.model.kernels.Kernels.enabled(dev.tooltune.model.kernels.TrainingKernel.ROTARY)) {
            return dev.tooltune.model.kernels.Kernels.rotary(x, cos, sin);
        }
        NDList halves = x.split(2, 3);                                               // 2 x [B,h,T,D/2]
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
