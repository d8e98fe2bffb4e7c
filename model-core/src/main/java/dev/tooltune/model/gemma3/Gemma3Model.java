package dev.tooltune.model.gemma3;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import dev.tooltune.model.checkpoint.Checkpoint;
import dev.tooltune.model.checkpoint.SafetensorsWriter;
import dev.tooltune.model.checkpoint.StoredType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.layers.DenseLinear;
import dev.tooltune.model.layers.Linear;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.layers.ProjectionDelta;
import dev.tooltune.model.runtime.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Gemma 3's text model as transformers' {@code Gemma3ForCausalLM} computes it, on DJL's PyTorch engine.
 *
 * <pre>
 * ids [B,T] -> embed * sqrt(H) -> [B,T,H]
 *   -> L x DecoderLayer (sliding-window and full attention interleaved, local/global RoPE)
 *   -> final RMSNorm -> hidden [B,T,H] -> tied lm_head (x E^T) -> logits [B,T,V] (optional softcap)
 * </pre>
 *
 * Weights live in the model's manager for its lifetime. A forward pass works in the manager of the input ids:
 * its result is put there, and each layer's intermediates are closed as soon as the layer is done (autograd keeps
 * what it saved, so training through this forward still works). The seven projections of every layer are
 * {@link Projection} slots read at each forward: LoRA and NF4 replace what a slot holds.
 */
public final class Gemma3Model implements AutoCloseable {

    private final Gemma3Config config;
    private final NDManager manager;
    private final DataType computeType;
    private final NDArray embedding;          // [V,H]
    private final NDArray lmHead;             // [V,H], or null when tied to the embedding
    private final RmsNorm finalNorm;          // [H]
    private final List<DecoderLayer> layers;
    private final RotaryEmbedding localRope;
    private final RotaryEmbedding globalRope;
    private final Map<String, Projection> projections;
    private final Map<String, RmsNorm> norms;
    private final float embedScale;
    /** Recompute each layer in the backward pass instead of keeping its activations (native library only). */
    private volatile boolean activationCheckpointing;
    private NDArray checkpointAnchor;         // a scalar that requires a gradient: records checkpoint nodes

    private Gemma3Model(Gemma3Config config, NDManager manager, DataType computeType, Map<String, NDArray> weights) {
        this.config = config;
        this.manager = manager;
        this.computeType = computeType;
        this.embedding = weights.get("model.embed_tokens.weight");
        this.lmHead = config.tieWordEmbeddings() ? null : weights.get("lm_head.weight");
        Map<String, Projection> projectionMap = new LinkedHashMap<>();
        Map<String, RmsNorm> normMap = new LinkedHashMap<>();
        List<DecoderLayer> layerList = new ArrayList<>();
        // the lowest finite score of the compute type (fp16: -65504; -Float.MAX_VALUE would overflow to -inf there)
        NDArray maskFloor = manager.create(computeType == DataType.FLOAT16 ? -65504f : -Float.MAX_VALUE);
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            String[] projectionNames = {
                "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
            Projection[] slots = new Projection[projectionNames.length];
            for (int i = 0; i < slots.length; i++) {
                String module = p + projectionNames[i];
                slots[i] = new Projection(module, new DenseLinear(weights.get(module + ".weight")));
                projectionMap.put(module, slots[i]);
            }
            String[] normNames = {
                "self_attn.q_norm", "self_attn.k_norm", "input_layernorm", "post_attention_layernorm",
                "pre_feedforward_layernorm", "post_feedforward_layernorm"};
            RmsNorm[] layerNorms = new RmsNorm[normNames.length];
            for (int i = 0; i < layerNorms.length; i++) {
                String name = p + normNames[i] + ".weight";
                layerNorms[i] = new RmsNorm(name, weights.get(name), config.rmsNormEps());
                normMap.put(name, layerNorms[i]);
            }
            layerList.add(new DecoderLayer(config, l, slots, layerNorms, maskFloor));
        }
        this.finalNorm = new RmsNorm("model.norm.weight", weights.get("model.norm.weight"), config.rmsNormEps());
        normMap.put(finalNorm.name, finalNorm);
        this.layers = List.copyOf(layerList);
        this.projections = Collections.unmodifiableMap(projectionMap);
        this.norms = Collections.unmodifiableMap(normMap);
        this.localRope = new RotaryEmbedding(config.localRope(), config.headDim(), manager);
        this.globalRope = new RotaryEmbedding(config.globalRope(), config.headDim(), manager);
        // transformers multiplies by sqrt(H) cast to the weights' dtype.
        this.embedScale = (float) Math.sqrt(config.hiddenSize());
    }

    // ---------------------------------------------------------------- construction

    /**
     * Loads a Hugging Face model directory (config.json + safetensors) on the device and in the precision the
     * configuration names ({@link ModelRuntime#fromEnvironment()}: GPU when present, else CPU; fp32 by default).
     */
    public static Gemma3Model load(Path directory) {
        return load(directory, ModelRuntime.fromEnvironment());
    }

    /**
     * Loads a model directory, converting bf16/fp16/fp32 weights to {@code computeType} tensor by tensor: FLOAT32,
     * FLOAT16, or BFLOAT16. bf16 weights need the native library (DJL's JNI has no bf16 type) and are read from a
     * bf16 checkpoint without widening (the bytes go to the device as they are); without the library the DJL path
     * computes in fp32 from the same values (a bf16 checkpoint widens to fp32 exactly), so a bf16 setting never
     * fails to load: it loses only the memory saving.
     */
    public static Gemma3Model load(Path directory, DataType computeType, Device device) {
        boolean bf16 = computeType == DataType.BFLOAT16 && Kernels.available();
        if (computeType == DataType.BFLOAT16 && !bf16) {
            computeType = DataType.FLOAT32;
        }
        Gemma3Config config = Gemma3Config.load(directory.resolve("config.json"));
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        Map<String, NDArray> weights = new LinkedHashMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            List<String> missing = new ArrayList<>();
            for (ParameterLayout.Entry entry : ParameterLayout.of(config)) {
                if (!checkpoint.contains(entry.name())) {
                    missing.add(entry.name());
                    continue;
                }
                long[] stored = checkpoint.entry(entry.name()).shape();
                if (!Arrays.equals(stored, entry.shape())) {
                    throw new IllegalArgumentException(directory + ": tensor " + entry.name() + " has shape "
                            + Arrays.toString(stored) + " but config.json implies " + Arrays.toString(entry.shape()));
                }
                // bf16: storage for frozen weights, as random() does; activations follow autocast
                weights.put(entry.name(), checkpoint.read(entry.name(), manager, bf16 ? DataType.BFLOAT16 : computeType));
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(directory + ": checkpoint lacks " + missing.size() + " tensor(s) the"
                        + " config requires, e.g. " + missing.subList(0, Math.min(5, missing.size())));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new Gemma3Model(config, manager, bf16 ? DataType.FLOAT32 : computeType, weights);
    }

    /** Loads a model directory on the device and in the precision {@code runtime} names. */
    public static Gemma3Model load(Path directory, ModelRuntime runtime) {
        return load(directory, runtime.computeType(), runtime.device());
    }

    /** Random weights on the device and in the precision {@code runtime} names. */
    public static Gemma3Model random(Gemma3Config config, long seed, ModelRuntime runtime) {
        return random(config, RandomInit.of(seed), runtime.computeType(), runtime.device());
    }

    /** Random weights (transformers' init, seeded) where {@link ModelRuntime#fromEnvironment()} says. */
    public static Gemma3Model random(Gemma3Config config, long seed) {
        return random(config, seed, ModelRuntime.fromEnvironment());
    }

    public static Gemma3Model random(Gemma3Config config, RandomInit init, DataType computeType, Device device) {
        boolean bf16 = computeType == DataType.BFLOAT16;
        if (bf16 && !dev.tooltune.model.kernels.Kernels.available()) {
            throw new IllegalArgumentException("bf16 weights need the native library (" + dev.tooltune.model.kernels.Kernels.LIBRARY_PROPERTY
                    + "): DJL 0.36 has no bf16 type");
        }
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (ParameterLayout.Entry entry : ParameterLayout.of(config)) {
            NDArray w = init.tensor(entry, manager);
            if (bf16) {
                // bf16 storage for frozen weights; activations follow autocast (Kernels.autocast), rope and caches stay fp32
                NDArray half = dev.tooltune.model.kernels.Kernels.toBFloat16(w);
                w.close();
                w = half;
            } else if (computeType != DataType.FLOAT32) {
                w = w.toType(computeType, false);
            }
            weights.put(entry.name(), w);
        }
        return new Gemma3Model(config, manager, bf16 ? DataType.FLOAT32 : computeType, weights);
    }

    /**
     * Writes a random checkpoint of {@code config} tensor by tensor (memory: one tensor at a time), as
     * {@code config.json} + {@code model.safetensors} in F32 or BF16. Loading it gives {@link #random}'s weights
     * (exactly for F32).
     */
    public static void writeRandomCheckpoint(Gemma3Config config, RandomInit init, Path directory, StoredType type) {
        try {
            Files.createDirectories(directory);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        config.write(directory.resolve("config.json"), type);
        List<ParameterLayout.Entry> layout = ParameterLayout.of(config);
        List<SafetensorsWriter.Spec> specs = layout.stream()
                .map(e -> new SafetensorsWriter.Spec(e.name(), e.shape(), type)).toList();
        try (NDManager scratch = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             SafetensorsWriter writer = new SafetensorsWriter(directory.resolve("model.safetensors"), specs,
                     Map.of("format", "pt"))) {
            for (ParameterLayout.Entry entry : layout) {
                try (NDManager one = scratch.newSubManager()) {
                    writer.append(init.tensor(entry, one));
                }
            }
        }
    }

    /** Saves config.json + model.safetensors (F32) of the current weights; every projection must be dense. */
    public void save(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        config.write(directory.resolve("config.json"));
        SafetensorsWriter.write(directory.resolve("model.safetensors"), parameters());
    }

    // ---------------------------------------------------------------- forward

    /** Logits [B,T,V] (fp32 when computing in fp32) in the input ids' manager. */
    public NDArray forward(ModelInput input, boolean training) {
        return logits(hiddenStates(input, training));
    }

    /**
     * Final hidden states [B,T,H] after the last norm, in the input ids' manager. Use with {@link #logits} to
     * compute a loss over a few positions at a time instead of materialising [B,T,V].
     */
    public NDArray hiddenStates(ModelInput input, boolean training) {
        NDManager scope = input.inputIds().getManager();
        int t = Math.toIntExact(input.length());
        KvCache cache = input.cache();

        // Embedding lookup, scaled by sqrt(H) in the compute type.                 ids [B,T] -> x [B,T,H]
        NDArray ids = input.inputIds().getDataType() == DataType.INT64 ? input.inputIds()
                : input.inputIds().toType(DataType.INT64, false);
        NDArray x = Scaled.times(ids.getNDArrayInternal().embedding(ids, embedding, SparseFormat.DENSE).singletonOrThrow(),
                embedScale);

        // RoPE angles of both kinds, computed once for all layers.                 {cos, sin} [B,1,T,D]
        NDList localAngles = localRope.cosSin(input.positionIds(), computeType);
        NDList globalAngles = globalRope.cosSin(input.positionIds(), computeType);

        // Attention masks, one per layer kind.                                     [B|1,1,1,T,S] boolean
        NDArray fullMask = null;
        NDArray slidingMask = null;
        RowBatch rows = null;
        if (input.rowCaches() != null) {
            rows = new RowBatch(input.rowCaches(), input.rowLengths(), t, scope);          // per row [1,1,1,T_r,S_r]
        } else if (cache != null) {
            NDList masks = cache.begin(t, input.keyMask(), scope);
            fullMask = masks.get(0);
            slidingMask = masks.get(1);
        } else if (!packedAttention(input)) {
            NDArray index = scope.arange(0, t, 1, DataType.INT64);
            NDArray keyValid = input.keyMask() == null ? null : input.keyMask().toType(DataType.BOOLEAN, false);
            NDArray segments = input.segmentIds();
            fullMask = AttentionMask.build(index, index, keyValid, segments, segments, 0);
            slidingMask = AttentionMask.build(index, index, keyValid, segments, segments, config.slidingWindow());
        }
        // a training batch on flash attention: its sequences from the segment ids, no mask tensors (the bounds stay in
        // the input's manager: a checkpointed layer reads them again in the backward pass)
        PackedSequences packed = rows == null && cache == null && packedAttention(input)
                ? new PackedSequences(Kernels.sequenceBounds(input.segmentIds()), t) : null;

        boolean checkpointed = training && activationCheckpointing && Kernels.available() && cache == null
                && rows == null;
        try {
            for (DecoderLayer layer : layers) {
                try (NDManager layerScope = scope.newSubManager()) {
                    x.attach(layerScope);
                    NDList angles = layer.sliding ? localAngles : globalAngles;
                    NDArray mask = layer.sliding ? slidingMask : fullMask;
                    NDArray out;
                    if (checkpointed) {
                        // only x is kept per layer; the layer runs again in the backward pass
                        ProjectionDelta delta = input.delta();
                        out = Kernels.checkpoint((in, cos, sin, m) -> layer.forward(in, new NDList(cos, sin), m, packed,
                                null, null, delta, true), manager, x, checkpointAnchor(), angles.get(0), angles.get(1), mask);
                    } else {
                        out = layer.forward(x, angles, mask, packed, cache, rows, input.delta(), training);
                    }
                    out.attach(scope);
                    x = out;
                }
            }
        } catch (RuntimeException e) {
            if (cache != null) {
                cache.abort();
            }
            if (rows != null) {
                rows.abort();
                rows.close();
            }
            throw e;
        }
        if (cache != null) {
            cache.commit();
        }
        if (rows != null) {
            rows.commit();
            rows.close();
        }
        NDArray hidden = finalNorm.forward(x);                                    // [B,T,H]
        for (NDArray temporary : new NDArray[] {x, fullMask, slidingMask}) {
            if (temporary != null && temporary != hidden) {
                temporary.close();
            }
        }
        localAngles.close();
        globalAngles.close();
        return hidden;
    }

    /**
     * Whether this forward runs attention as varlen flash attention over the segments ({@link PackedSequences}): a
     * training-style input (segment ids, no cache, no key mask) on a GPU under bf16 autocast, no attention soft-cap.
     */
    private boolean packedAttention(ModelInput input) {
        return input.segmentIds() != null && input.keyMask() == null && input.cache() == null && input.rowCaches() == null
                && config.attnLogitSoftcapping() == null && manager.getDevice().isGpu()
                && Kernels.enabled(dev.tooltune.model.kernels.TrainingKernel.VARLEN_ATTENTION) && Kernels.autocast();
    }

    /** Embedding, head, final norm scale, local and global inverse frequencies: NativeServingStep's first tensors. */
    List<NDArray> servingTensors() {
        return List.of(embedding, lmHead == null ? embedding : lmHead, finalNorm.scale(), localRope.inverseFrequencies(),
                globalRope.inverseFrequencies());
    }

    /** Layer {@code l}'s six norm scales (1 + w, fp32): q, k, input, post-attention, pre- and post-feedforward. */
    List<NDArray> layerNormScales(int l) {
        DecoderLayer layer = layers.get(l);
        return List.of(layer.queryNorm.scale(), layer.keyNorm.scale(), layer.inputNorm.scale(),
                layer.postAttentionNorm.scale(), layer.preFeedforwardNorm.scale(), layer.postFeedforwardNorm.scale());
    }

    /** Whether the frozen weights are stored as bf16 (the native library's GPU mode; products then run under autocast). */
    public boolean bf16Weights() {
        return Kernels.available() && "BFloat16".equals(Kernels.typeName(embedding));
    }

    /** Bytes of one stored weight element (and of one KV element on the native serving path). */
    public int weightBytes() {
        return bf16Weights() ? 2 : embedding.getDataType().getNumOfBytes();
    }

    /**
     * Activation checkpointing for training forwards: each decoder layer keeps only its input and runs again in
     * the backward pass (one layer's activations at a time instead of all of them: QLoRA's memory). Needs the
     * native library ({@link Kernels}); without it the setting has no effect.
     */
    public void setActivationCheckpointing(boolean enabled) {
        this.activationCheckpointing = enabled;
    }

    public boolean activationCheckpointing() {
        return activationCheckpointing;
    }

    private synchronized NDArray checkpointAnchor() {
        if (checkpointAnchor == null) {
            checkpointAnchor = manager.zeros(new ai.djl.ndarray.types.Shape(1));
            // made inside a caller's NDScope (the trainer's step): it must outlive that step
            ai.djl.ndarray.NDScope.unregister(checkpointAnchor);
            checkpointAnchor.setRequiresGradient(true);
        }
        return checkpointAnchor;
    }

    /** hidden [..., H] -> logits [..., V] through the (tied) lm_head, with final softcapping when configured. */
    public NDArray logits(NDArray hidden) {
        NDArray head = lmHead == null ? embedding : lmHead;
        NDArray logits = hidden.getNDArrayInternal().linear(hidden, head, null).singletonOrThrow();
        Double cap = config.finalLogitSoftcapping();
        if (cap != null) {
            logits = Scaled.times(Scaled.dividedBy(logits, cap.floatValue()).tanh(), cap.floatValue());
        }
        return logits;
    }

    /** Longest chunk a prefill over a batch cache runs at once (memory: [B,chunk] activations, not [B,T]). */
    public static final int PREFILL_CHUNK = 512;

    /**
     * Logits [B,V] of each row's last position only (generation: avoids [B,T,V] during prefill); with row lengths,
     * of each row's last real token. A long prompt over a batch cache goes in chunks of {@link #PREFILL_CHUNK}, each
     * written into the cache before the next, so its memory is bounded by the cache, not by T x T.
     */
    public NDArray lastLogits(ModelInput input) {
        long t = input.length();
        if (input.cache() == null || t <= PREFILL_CHUNK) {
            return lastLogitsOf(input);
        }
        NDArray logits = null;
        for (long from = 0; from < t; from += PREFILL_CHUNK) {
            if (logits != null) {
                logits.close();
            }
            logits = lastLogitsOf(input.slice(from, Math.min(t, from + PREFILL_CHUNK)));
        }
        return logits;
    }

    private NDArray lastLogitsOf(ModelInput input) {
        NDArray hidden = hiddenStates(input, false);                               // [B,T,H]
        NDArray last;                                                              // [B,H]
        if (input.rowLengths() == null) {
            last = hidden.get(new NDIndex(":, -1, :"));
        } else {
            NDList rows = new NDList();
            for (int r = 0; r < input.rowLengths().length; r++) {
                rows.add(hidden.get(new NDIndex(r + ":" + (r + 1) + ", " + (input.rowLengths()[r] - 1) + ", :")));
            }
            last = rows.size() == 1 ? rows.get(0) : ai.djl.ndarray.NDArrays.concat(rows, 0);
        }
        NDArray logits = logits(last);
        hidden.close();
        last.close();
        return logits;
    }

    // ---------------------------------------------------------------- parameters

    public Gemma3Config config() {
        return config;
    }

    public DataType computeType() {
        return computeType;
    }

    /** The manager owning the weights (adapters may allocate beside them). */
    public NDManager manager() {
        return manager;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** All 7 x L projection slots, by Hugging Face module name ({@code model.layers.3.self_attn.q_proj}), in order. */
    public Map<String, Projection> projections() {
        return projections;
    }

    /** [V,H], shared with the lm_head when tied. */
    public NDArray embedding() {
        return embedding;
    }

    /** The RMSNorm weights by parameter name ({@code ...input_layernorm.weight}, {@code model.norm.weight}). */
    public Map<String, NDArray> normWeights() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        norms.forEach((name, norm) -> out.put(name, norm.weight));
        return out;
    }

    /**
     * Every weight by its Hugging Face parameter name, in state_dict order. Projections appear when their slot holds
     * a {@link DenseLinear} (not after LoRA/NF4 replaced it). Arrays are the live weights, not copies.
     */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (ParameterLayout.Entry entry : ParameterLayout.of(config)) {
            String name = entry.name();
            if (name.equals("model.embed_tokens.weight")) {
                out.put(name, embedding);
            } else if (name.equals("lm_head.weight")) {
                out.put(name, lmHead);
            } else if (entry.isNorm()) {
                out.put(name, norms.get(name).weight);
            } else {
                Linear linear = projections.get(ParameterLayout.moduleName(name)).get();
                if (linear instanceof DenseLinear dense) {
                    out.put(name, dense.weight());
                }
            }
        }
        return out;
    }

    /**
     * Marks which weights receive gradients (full fine-tuning: all; LoRA: none, the adapters have their own).
     * Returns the names now trainable.
     */
    public List<String> setTrainable(Predicate<String> trainable) {
        List<String> names = new ArrayList<>();
        parameters().forEach((name, array) -> {
            boolean on = trainable.test(name);
            array.setRequiresGradient(on);
            if (on) {
                names.add(name);
            }
        });
        return names;
    }

    @Override
    public void close() {
        projections.values().forEach(p -> {
            if (!(p.get() instanceof DenseLinear)) {
                p.get().close();
            }
        });
        manager.close();
    }
}
