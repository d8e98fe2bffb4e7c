package dev.tooltune.model.kernels;

/**
 * The JNI entry points of {@code libtooltune_torch.so} (model-core/src/main/native/tooltune_torch.cc). Arguments
 * and results are DJL PtNDArray handles ({@code torch::Tensor*}); use {@link Kernels}, which wraps them.
 */
final class NativeTorch {
    private NativeTorch() {
    }

    static native long rmsNorm(long x, long scale, double eps);

    static native long geluTanh(long x);

    static native long attention(long q, long k, long v, long mask, double scale);

    static native void adamW(long[] params, long[] grads, long[] firstMoments, long[] secondMoments, double lr,
            double beta1, double beta2, double eps, double weightDecay, long step);

    static native double clipGradNorm(long[] grads, double maxNorm);

    static native void setAutocast(boolean enabled);

    static native boolean autocast();

    static native void setTf32(boolean enabled);

    static native long toBFloat16(long x);

    static native long toFloat32(long x);

    static native long viewAsBFloat16(long x);

    static native long castLike(long x, long like);

    static native String typeName(long x);

    static native long peakAllocatedBytes(int device);

    static native void resetPeak(int device);

    static native void synchronize();

    static native boolean cuda();

    static native void clearAutocastCache();

    static native long nf4Linear(long x, long packed, long absmaxCodes, long absmaxScales, double offset,
            long nibblePairs, long dynamicCode, long rows, long columns);

    static native long nf4Dequantize(long packed, long absmaxCodes, long absmaxScales, double offset,
            long nibblePairs, long dynamicCode, long rows, long columns);

    static native long[] nf4Quantize(long weight, long code);

    static native long checkpoint(Object body, long x, long anchor, long a, long b, long c);

    static native long share(long x);

    static native long servingCreate(long[] tensors, long[] ints, double[] doubles);

    static native long servingKvBytes(long step);

    static native void servingLoad(long step, int slot, long[] buffers, long length);

    static native void servingAdapter(long step, int index, long[] a, long[] b, double scaling);

    static native long[] servingStep(long step, int rows, long[] ids, long[] positions, long[] adapters,
            int adapterBlocks, long[] special, long[] words, float[] temperature, int[] topK, float[] topP, float[] draws);

    static native void servingFree(long step);
}
