package dev.tooltune.model.kernels;

/**
 * The JNI entry points of model-core/src/main/native/training.cc (linked into {@code libtooltune_torch.so}).
 * Arguments and results are DJL PtNDArray handles; use {@link Kernels}, which wraps them and falls back to the
 * DJL path when the library (or this part of it) is missing.
 */
final class TrainingNative {
    private TrainingNative() {
    }

    static native int version();

    static native boolean varlenSupported();

    static native long linearCrossEntropy(long hidden, long weight, long targets, long weights, double softcap, long chunk);

    static native long sequenceBounds(long segments);

    static native long varlenAttention(long q, long k, long v, long cuSeqlens, long maxLength, double scale, long windowLeft);

    static native long rotary(long x, long cos, long sin);

    static native long geluGate(long gate, long up);

    static native long rmsNorm(long x, long scale, long residual, double eps);

    static native void profileStart(boolean cuda);

    static native void profileStop(String path);
}
