package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.layers.DenseLinear;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.LoraLinear;
import java.util.ArrayList;
import java.util.List;

/**
 * The serving engine's decode step in native code (model-core/src/main/native/serving_step.cc): one call, and on
 * CUDA one graph replay per batch-size bucket, computes every running row's next token. It owns a KV cache of
 * {@code slots} rows of {@code capacity} tokens in the weights' type (bf16 on the GPU; sliding-window layers keep a
 * ring of the window only); a row is a slot, rows of any lengths decode together. Prompts are prefilled by the
 * DJL path into a {@link KvCache} and copied into a slot with {@link #load}. Adapters live in numbered blocks
 * ({@link #adapter}); a row names its block (0 = none) and gets its own LoRA inside the step. Only token ids come
 * back to the host. Not thread-safe: the serving scheduler's thread alone uses it.
 */
public final class NativeServingStep implements AutoCloseable {
    private static final String[] PROJECTIONS = {
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

    private final Gemma3Config config;
    private final int slots;
    private final int capacity;
    private long handle;

    private NativeServingStep(Gemma3Config config, int slots, int capacity, long handle) {
        this.config = config;
        this.slots = slots;
        this.capacity = capacity;
        this.handle = handle;
    }

    /** Whether {@code model} can decode natively: the native library is loaded, projections dense, no attention soft-cap. */
    public static boolean supports(Gemma3Model model) {
        if (!Kernels.available() || model.config().attnLogitSoftcapping() != null) {
            return false;
        }
        return model.projections().values().stream().allMatch(p -> p.get() instanceof DenseLinear);
    }

    /** Bytes of KV cache one slot of {@code capacity} tokens takes in the weights' type. */
    public static long bytesPerSlot(Gemma3Model model, int capacity) {
        Gemma3Config config = model.config();
        int ring = Math.min(config.slidingWindow(), capacity);
        long perToken = 2L * config.numKeyValueHeads() * config.headDim() * model.weightBytes();
        long total = 0;
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            total += perToken * (config.isSliding(l) ? ring : capacity);
        }
        return total;
    }

    /** A step over {@code model}'s weights (held by reference: the model must outlive it). */
    public static NativeServingStep create(Gemma3Model model, int slots, int capacity) {
        if (!supports(model)) {
            throw new IllegalStateException("the native serving step needs the native library, dense projections and"
                    + " no attention soft-cap");
        }
        Gemma3Config config = model.config();
        List<NDArray> tensors = new ArrayList<>(model.servingTensors());
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            for (String name : PROJECTIONS) {
                tensors.add(((DenseLinear) model.projections().get("model.layers." + l + "." + name).get()).weight());
            }
            tensors.addAll(model.layerNormScales(l));
        }
        long[] ints = new long[8 + config.numHiddenLayers()];
        ints[0] = config.numHiddenLayers();
        ints[1] = config.numAttentionHeads();
        ints[2] = config.numKeyValueHeads();
        ints[3] = config.headDim();
        ints[4] = config.hiddenSize();
        ints[5] = config.slidingWindow();
        ints[6] = slots;
        ints[7] = capacity;
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            ints[8 + l] = config.isSliding(l) ? 1 : 0;
        }
        double softcap = config.finalLogitSoftcapping() == null ? 0 : config.finalLogitSoftcapping();
        double[] doubles = {config.rmsNormEps(), Math.sqrt(config.hiddenSize()), Math.pow(config.queryPreAttnScalar(), -0.5),
            softcap};
        return new NativeServingStep(config, slots, capacity, Kernels.servingCreate(tensors, ints, doubles));
    }

    public int slots() {
        return slots;
    }

    /** Tokens one slot holds (prompt + generated). */
    public int capacity() {
        return capacity;
    }

    /** Bytes of the KV cache on the device. */
    public long kvBytes() {
        return Kernels.servingKvBytes(open());
    }

    /** Copies the tokens of a one-row cache (a prefilled prompt) into {@code slot}. */
    public void load(int slot, KvCache prefilled) {
        if (prefilled.batchSize() != 1) {
            throw new IllegalArgumentException("only a one-row cache fits a slot, got " + prefilled.batchSize() + " rows");
        }
        List<NDArray> buffers = prefilled.buffers();
        Kernels.servingLoad(open(), slot, buffers.subList(0, 2 * config.numHiddenLayers()), prefilled.length());
    }

    /** Puts {@code adapter}'s A and B (scaled) into block {@code index} (>= 1), replacing what the block held. */
    public void adapter(int index, LoraAdapter adapter) {
        List<NDArray> a = new ArrayList<>();
        List<NDArray> b = new ArrayList<>();
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            for (String name : PROJECTIONS) {
                LoraLinear layer = adapter.layers().get("model.layers." + l + "." + name);
                a.add(layer == null ? null : layer.loraA());
                b.add(layer == null ? null : layer.loraB());
            }
        }
        Kernels.servingAdapter(open(), index, a, b, adapter.config().scaling());
    }

    /**
     * The next token of rows 0..rows-1 (row r = slot r; a free slot's row carries token 0 at position 0 and its
     * token is meaningless). {@code adapterBlocks} is the highest block any row names. {@code special} lists the
     * rows that are constrained or sampled; for each, {@code words} holds its allowed-token bitset (ceil(V/64)
     * longs, all ones when unconstrained), and temperature (0 = greedy), top-k (0 = off), top-p and a uniform draw.
     */
    public long[] step(int rows, long[] ids, long[] positions, long[] adapters, int adapterBlocks, long[] special,
            long[] words, float[] temperature, int[] topK, float[] topP, float[] draws) {
        return Kernels.servingStep(open(), rows, ids, positions, adapters, adapterBlocks, special, words, temperature,
                topK, topP, draws);
    }

    private long open() {
        if (handle == 0) {
            throw new IllegalStateException("native serving step is closed");
        }
        return handle;
    }

    @Override
    public void close() {
        if (handle != 0) {
            Kernels.servingFree(handle);
            handle = 0;
        }
    }
}
