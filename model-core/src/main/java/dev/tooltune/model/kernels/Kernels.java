package dev.tooltune.model.kernels;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Fused operations from our native library against libtorch ({@code libtooltune_torch.so}), used when it is
 * loaded; every caller keeps a pure-DJL path for when it is not (CI and the CPU default).
 *
 * <p>The library is loaded when the system property {@code tooltune.native.library} or the environment variable
 * {@code TOOLTUNE_NATIVE_LIBRARY} names it (built by scripts/gpu/build-native.sh against the same libtorch DJL
 * loads). A named library that fails to load is an error, not a silent fallback: a GPU run that quietly took
 * the slow path would report the wrong numbers.
 */
public final class Kernels {
    public static final String LIBRARY_PROPERTY = "tooltune.native.library";
    public static final String LIBRARY_ENV = "TOOLTUNE_NATIVE_LIBRARY";

    private static final boolean AVAILABLE = load();

    private Kernels() {
    }

    private static boolean load() {
        String path = System.getProperty(LIBRARY_PROPERTY, System.getenv(LIBRARY_ENV));
        if (path == null || path.isBlank()) {
            return false;
        }
        if (!Files.isRegularFile(Path.of(path))) {
            throw new IllegalStateException(LIBRARY_PROPERTY + " / " + LIBRARY_ENV + " names " + path + ", which is not a file");
        }
        Engine.getEngine("PyTorch"); // libtorch first: ours resolves its symbols against the same libraries
        System.load(Path.of(path).toAbsolutePath().toString());
        return true;
    }

    /** Whether the native library is loaded. */
    public static boolean available() {
        return AVAILABLE;
    }

    /** Gemma RMSNorm {@code x / sqrt(mean(x^2) + eps) * scale} in fp32, result in x's type; scale fp32 [D]. */
    public static NDArray rmsNorm(NDArray x, NDArray scale, float eps) {
        return wrap(x, NativeTorch.rmsNorm(handle(x), handle(scale), eps));
    }

    /** gelu(x, approximate="tanh") in one kernel. */
    public static NDArray geluTanh(NDArray x) {
        return wrap(x, NativeTorch.geluTanh(handle(x)));
    }

    /**
     * Fused scaled-dot-product attention: q [B,N,T,D], k/v [B,K,S,D] (grouped-query when K < N), mask boolean
     * broadcastable to [B,1,T,S] (or [B,1,1,T,S]), true = visible, may be null. Returns [B,N,T,D].
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, float scale) {
        return wrap(q, NativeTorch.attention(handle(q), handle(k), handle(v), mask == null ? 0 : handle(mask), scale));
    }

    /** One AdamW step over all parameters (torch.optim.AdamW, foreach), with their accumulated gradients. */
    public static void adamW(List<NDArray> parameters, NDList firstMoments, NDList secondMoments, double learningRate,
            double beta1, double beta2, double epsilon, double weightDecay, long step) {
        long[] p = new long[parameters.size()];
        long[] g = new long[p.length];
        long[] m = new long[p.length];
        long[] v = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = handle(parameters.get(i));
            g[i] = handle(parameters.get(i).getGradient());
            m[i] = handle(firstMoments.get(i));
            v[i] = handle(secondMoments.get(i));
        }
        NativeTorch.adamW(p, g, m, v, learningRate, beta1, beta2, epsilon, weightDecay, step);
    }

    /** Global-norm clipping on the device; returns the norm before clipping (the one value read back). */
    public static double clipGradNorm(List<NDArray> parameters, double maxNorm) {
        long[] g = new long[parameters.size()];
        for (int i = 0; i < g.length; i++) {
            g[i] = handle(parameters.get(i).getGradient());
        }
        return NativeTorch.clipGradNorm(g, maxNorm);
    }

    /** bf16 autocast on the calling thread: products in bf16, fp32 master weights and reductions. */
    public static void autocast(boolean enabled) {
        NativeTorch.setAutocast(enabled);
    }

    public static boolean autocast() {
        return AVAILABLE && NativeTorch.autocast();
    }

    /** TF32 for fp32 matrix products (the default in PyTorch is off). */
    public static void tf32(boolean enabled) {
        NativeTorch.setTf32(enabled);
    }

    /** x cast to bf16 (DJL reports the result's type as UNKNOWN). */
    public static NDArray toBFloat16(NDArray x) {
        return wrap(x, NativeTorch.toBFloat16(handle(x)));
    }

    /** x's bits (an fp16 array holding bf16 bytes) as a bf16 array, no copy (DJL reports its type as UNKNOWN). */
    public static NDArray viewAsBFloat16(NDArray x) {
        return wrap(x, NativeTorch.viewAsBFloat16(handle(x)));
    }

    /** x cast to fp32 with its gradient path kept (DJL's toType detaches: it runs under a no-grad guard). */
    public static NDArray toFloat32(NDArray x) {
        return wrap(x, NativeTorch.toFloat32(handle(x)));
    }

    /** x cast to the type of {@code like}, whatever it is (bf16 included). */
    public static NDArray castLike(NDArray x, NDArray like) {
        return wrap(x, NativeTorch.castLike(handle(x), handle(like)));
    }

    /** libtorch's name of x's element type ("BFloat16", "Float", ...). */
    public static String typeName(NDArray x) {
        return NativeTorch.typeName(handle(x));
    }

    /** Peak bytes allocated by the CUDA caching allocator since the last reset; -1 off CUDA or without the library. */
    public static long peakAllocatedBytes(Device device) {
        return AVAILABLE && device.isGpu() ? NativeTorch.peakAllocatedBytes(device.getDeviceId()) : -1;
    }

    public static void resetPeak(Device device) {
        if (AVAILABLE && device.isGpu()) {
            try {
                NativeTorch.resetPeak(device.getDeviceId());
            } catch (IllegalStateException notYetInitialised) {
                // CUDA's allocator starts on the first allocation; before it there is no peak to reset
            }
        }
    }

    /** Drops autocast's cached bf16 casts of fp32 leaves on this thread (they would outlive an optimizer step). */
    public static void clearAutocastCache() {
        if (AVAILABLE) {
            NativeTorch.clearAutocastCache();
        }
    }

    /**
     * {@code x W^T} for an NF4 weight: W [rows, columns] is dequantised just in time in the forward and again in
     * the backward (autograd keeps nothing of it), in bf16 under autocast, else in x's type. Arguments are
     * {@code Nf4Linear}'s device buffers.
     */
    public static NDArray nf4Linear(NDArray x, NDArray packed, NDArray absmaxCodes, NDArray absmaxScales, float offset,
            NDArray nibblePairs, NDArray dynamicCode, long rows, long columns) {
        return wrap(x, NativeTorch.nf4Linear(handle(x), handle(packed), handle(absmaxCodes), handle(absmaxScales), offset,
                handle(nibblePairs), handle(dynamicCode), rows, columns));
    }

    /** The dense fp32 [rows, columns] weight of NF4 buffers, in packed's manager. */
    public static NDArray nf4Dequantize(NDArray packed, NDArray absmaxCodes, NDArray absmaxScales, float offset,
            NDArray nibblePairs, NDArray dynamicCode, long rows, long columns) {
        return wrap(packed, NativeTorch.nf4Dequantize(handle(packed), handle(absmaxCodes), handle(absmaxScales), offset,
                handle(nibblePairs), handle(dynamicCode), rows, columns));
    }

    /**
     * NF4's first level on the weight's device, bit for bit as {@code Nf4.quantize}: {packed uint8 [ceil(n/2)],
     * absmax fp32 [ceil(n/64)]}, both in the weight's manager. {@code code} is the 16-value code book (fp32).
     */
    public static NDArray[] nf4Quantize(NDArray weight, NDArray code) {
        long[] handles = NativeTorch.nf4Quantize(handle(weight), handle(code));
        return new NDArray[] {wrap(weight, handles[0]), wrap(weight, handles[1])};
    }

    /** A layer body run under activation checkpointing: inputs are owned by the call, the result is returned. */
    @FunctionalInterface
    public interface Checkpointed {
        NDArray apply(NDArray x, NDArray a, NDArray b, NDArray c);
    }

    /**
     * {@code body(x, a, b, c)} under activation checkpointing (torch.utils.checkpoint, reentrant): the forward keeps
     * only the inputs, the backward runs the body again with the graph on (same autocast and random state) and
     * back-propagates through it; trainable leaves inside (LoRA A/B) get their gradients then. {@code anchor}
     * must require a gradient (it records the node when x does not). The body's arrays live in sub-managers of
     * {@code owner}, which must outlive the backward pass. a, b, c may be null.
     */
    public static NDArray checkpoint(Checkpointed body, NDManager owner, NDArray x, NDArray anchor, NDArray a,
            NDArray b, NDArray c) {
        return wrap(x, NativeTorch.checkpoint(new CheckpointCall(body, (PtNDManager) owner), handle(x), handle(anchor),
                a == null ? 0 : handle(a), b == null ? 0 : handle(b), c == null ? 0 : handle(c)));
    }

    /** What the native checkpoint calls (forward and recomputation): wraps the handles, runs the body, shares the result. */
    static final class CheckpointCall {
        private final Checkpointed body;
        private final PtNDManager owner;

        CheckpointCall(Checkpointed body, PtNDManager owner) {
            this.body = body;
            this.owner = owner;
        }

        /** Called from native code; {@code handles} are new tensors this call owns (0 = none). */
        long run(long[] handles) {
            try (NDManager scope = owner.newSubManager()) {
                NDArray[] in = new NDArray[handles.length];
                for (int i = 0; i < handles.length; i++) {
                    in[i] = handles[i] == 0 ? null : new PtNDArray((PtNDManager) scope, handles[i]);
                }
                NDArray out = body.apply(in[0], in[1], in[2], in[3]);
                return NativeTorch.share(handle(out));
            }
        }
    }

    /**
     * The serving engine's native decode step (serving_step.cc) over the given weights, held by reference, with its
     * own KV cache of {@code ints[6]} slots; free it with {@link #servingFree}. The order is NativeServingStep's.
     */
    public static long servingCreate(List<NDArray> tensors, long[] ints, double[] doubles) {
        return NativeTorch.servingCreate(handles(tensors), ints, doubles);
    }

    /** Bytes of the step's KV cache on the device. */
    public static long servingKvBytes(long step) {
        return NativeTorch.servingKvBytes(step);
    }

    /** Copies the first {@code length} tokens of a one-row KV cache (keys, values per layer) into {@code slot}. */
    public static void servingLoad(long step, int slot, List<NDArray> buffers, int length) {
        NativeTorch.servingLoad(step, slot, handles(buffers), length);
    }

    /** Puts an adapter's A [r,in] / B [out,r] per layer and projection (null = not targeted) into block {@code index} (1-based). */
    public static void servingAdapter(long step, int index, List<NDArray> a, List<NDArray> b, double scaling) {
        NativeTorch.servingAdapter(step, index, handles(a), handles(b), scaling);
    }

    /**
     * One decode step of rows 0..rows-1 (row = slot); {@code special} lists the constrained or sampled rows with
     * their bitsets ({@code words}, ceil(V/64) per row) and sampling parameters. Returns the rows' tokens.
     */
    public static long[] servingStep(long step, int rows, long[] ids, long[] positions, long[] adapters, int adapterBlocks,
            long[] special, long[] words, float[] temperature, int[] topK, float[] topP, float[] draws) {
        return NativeTorch.servingStep(step, rows, ids, positions, adapters, adapterBlocks, special, words, temperature,
                topK, topP, draws);
    }

    public static void servingFree(long step) {
        NativeTorch.servingFree(step);
    }

    private static long[] handles(List<NDArray> arrays) {
        long[] out = new long[arrays.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arrays.get(i) == null ? 0 : handle(arrays.get(i));
        }
        return out;
    }

    // ---------------------------------------------------------------- training kernels (training.cc)

    private static final boolean TRAINING_LINKED = AVAILABLE && probeTraining();
    private static volatile Set<TrainingKernel> trainingKernels = TrainingKernel.parse(System.getenv(TrainingKernel.ENV));

    private static boolean probeTraining() {
        try {
            return TrainingNative.version() >= 1;
        } catch (UnsatisfiedLinkError olderLibrary) {
            return false; // a library built without training.cc: every caller keeps its DJL path
        }
    }

    /** Flash attention with a sliding window in the loaded libtorch, on CUDA (else packed batches keep the mask path). */
    private static final boolean VARLEN_SUPPORTED = TRAINING_LINKED && TrainingNative.varlenSupported();

    /** Whether {@code kernel} is linked in, can run here and is turned on (see {@link TrainingKernel}). */
    public static boolean enabled(TrainingKernel kernel) {
        return TRAINING_LINKED && trainingKernels.contains(kernel)
                && (kernel != TrainingKernel.VARLEN_ATTENTION || VARLEN_SUPPORTED);
    }

    /** Turns training kernels on or off for the whole process (benchmarks and checks compare them). */
    public static void setTrainingKernels(Set<TrainingKernel> kernels) {
        trainingKernels = kernels.isEmpty() ? EnumSet.noneOf(TrainingKernel.class) : EnumSet.copyOf(kernels);
    }

    /** The training kernels that run: turned on, linked in and supported here. */
    public static Set<TrainingKernel> trainingKernels() {
        EnumSet<TrainingKernel> on = EnumSet.noneOf(TrainingKernel.class);
        for (TrainingKernel kernel : TrainingKernel.values()) {
            if (enabled(kernel)) {
                on.add(kernel);
            }
        }
        return Collections.unmodifiableSet(on);
    }

    /**
     * {@code sum_i w_i * -log softmax(h_i E^T)[t_i]} (with Gemma's final soft-cap when {@code softcap > 0}) as one
     * autograd node: hidden [N, H] with graph, head [V, H], targets [N] int64, weights [N] fp32; logits formed
     * {@code chunk} rows at a time, the input gradient computed with them. Returns an fp32 scalar.
     */
    public static NDArray linearCrossEntropy(NDArray hidden, NDArray head, NDArray targets, NDArray weights,
            double softcap, int chunk) {
        return wrap(hidden, TrainingNative.linearCrossEntropy(handle(hidden), handle(head), handle(targets), handle(weights),
                softcap, chunk));
    }

    /** Cumulative sequence lengths (int32 [S + 1]) of segment ids [B, T]: a sequence per segment run and per row. */
    public static NDArray sequenceBounds(NDArray segments) {
        return wrap(segments, TrainingNative.sequenceBounds(handle(segments)));
    }

    /**
     * Causal flash attention within each sequence of {@code cuSeqlens}: q [B, T, N, D], k/v [B, T, K, D] (K divides
     * N), keys at most {@code windowLeft} positions back (-1: no window). Returns [B, T, N * D] in bf16.
     */
    public static NDArray varlenAttention(NDArray q, NDArray k, NDArray v, NDArray cuSeqlens, int maxLength, float scale,
            int windowLeft) {
        return wrap(q, TrainingNative.varlenAttention(handle(q), handle(k), handle(v), handle(cuSeqlens), maxLength, scale,
                windowLeft));
    }

    /** RoPE {@code x cos + rotate_half(x) sin} in fp32, result in x's type; cos/sin broadcastable to x. */
    public static NDArray rotary(NDArray x, NDArray cos, NDArray sin) {
        return wrap(x, TrainingNative.rotary(handle(x), handle(cos), handle(sin)));
    }

    /** {@code gelu_tanh(gate) * up}, keeping only gate and up for the backward. */
    public static NDArray geluGate(NDArray gate, NDArray up) {
        return wrap(gate, TrainingNative.geluGate(handle(gate), handle(up)));
    }

    /** Gemma RMSNorm in fp32 with scale fp32 [D] (1 + w), result in x's type, plus {@code residual} when not null. */
    public static NDArray rmsNorm(NDArray x, NDArray scale, NDArray residual, float eps) {
        return wrap(x, TrainingNative.rmsNorm(handle(x), handle(scale), residual == null ? 0 : handle(residual), eps));
    }

    /** Starts libtorch's kineto profiler (CPU ops of this thread; CUDA kernels of the process when {@code cuda}). */
    public static void profileStart(boolean cuda) {
        TrainingNative.profileStart(cuda);
    }

    /** Stops the profiler and writes a chrome trace (json) to {@code path}. */
    public static void profileStop(Path path) {
        TrainingNative.profileStop(path.toAbsolutePath().toString());
    }

    /** Waits for the device's queued work (for timing). */
    public static void synchronize() {
        if (AVAILABLE) {
            NativeTorch.synchronize();
        }
    }

    /**
     * The type for a scalar operand of arithmetic on {@code x}: x's own, or fp32 when DJL cannot name x's type
     * (bf16 under autocast: a 0-dim fp32 operand keeps the result bf16, PyTorch's promotion rules).
     */
    public static DataType scalarType(NDArray x) {
        DataType type = x.getDataType();
        return type == DataType.UNKNOWN ? DataType.FLOAT32 : type;
    }

    private static long handle(NDArray array) {
        return ((PtNDArray) array).getHandle();
    }

    private static NDArray wrap(NDArray like, long handle) {
        return new PtNDArray((PtNDManager) like.getManager(), handle);
    }
}
