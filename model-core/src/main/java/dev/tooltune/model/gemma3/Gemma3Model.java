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
    private volatile boolean nativeDecode = true;
    private final java.util.concurrent.atomic.AtomicLong nativeDecodeSteps = new java.util.concurrent.atomic.AtomicLong();
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
        NDArray maskFloor = manager.create(-Float.MAX_VALUE);
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
     * Loads a model directory, converting bf16/fp16/fp32 weights to {@code computeType} (FLOAT32 or FLOAT16)
     * tensor by tensor.
     */
    public static Gemma3Model load(Path directory, DataType computeType, Device device) {
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
                weights.put(entry.name(), checkpoint.read(entry.name(), manager, computeType));
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(directory + ": checkpoint lacks " + missing.size() + " tensor(s) the"
                        + " config requires, e.g. " + missing.subList(0, Math.min(5, missing.size())));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new Gemma3Model(config, manager, computeType, weights);
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
        NDArray fullMask;
        NDArray slidingMask;
        List<KvCache> rowCaches = input.rowCaches();
        List<NDArray> rowFull = null;
        List<NDArray> rowSliding = null;
        if (rowCaches != null) {
            fullMask = null;
            slidingMask = null;
            rowFull = new ArrayList<>();
            rowSliding = new ArrayList<>();
            for (KvCache rowCache : rowCaches) {
                NDList masks = rowCache.begin(t, null, scope);                          // [1,1,1,T,S_r] each
                rowFull.add(masks.get(0));
                rowSliding.add(masks.get(1));
            }
        } else if (cache != null) {
            NDList masks = cache.begin(t, input.keyMask(), scope);
            fullMask = masks.get(0);
            slidingMask = masks.get(1);
        } else if (packedAttention(input)) {
            fullMask = null;                                                     // PackedSequences instead
            slidingMask = null;
        } else {
            NDArray index = scope.arange(0, t, 1, DataType.INT64);
            NDArray keyValid = input.keyMask() == null ? null : input.keyMask().toType(DataType.BOOLEAN, false);
            NDArray segments = input.segmentIds();
            fullMask = AttentionMask.build(index, index, keyValid, segments, segments, 0);
            slidingMask = AttentionMask.build(index, index, keyValid, segments, segments, config.slidingWindow());
        }
        // a training batch on flash attention: its sequences from the segment ids, no mask tensors
        PackedSequences packed = fullMask == null && cache == null && rowCaches == null
                ? new PackedSequences(Kernels.sequenceBounds(input.segmentIds()), t) : null;

        boolean checkpointed = training && activationCheckpointing && Kernels.available() && cache == null
                && rowCaches == null;
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
                                null, null, null, delta, true), manager, x, checkpointAnchor(), angles.get(0), angles.get(1), mask);
                    } else {
                        out = layer.forward(x, angles, mask, packed, cache, rowCaches, layer.sliding ? rowSliding : rowFull,
                                input.delta(), training);
                    }
                    out.attach(scope);
                    x = out;
                }
            }
        } catch (RuntimeException e) {
            if (cache != null) {
                cache.abort();
            }
            if (rowCaches != null) {
                rowCaches.forEach(KvCache::abort);
            }
            throw e;
        }
        if (cache != null) {
            cache.commit();
        }
        if (rowCaches != null) {
            rowCaches.forEach(KvCache::commit);
        }
        NDArray hidden = finalNorm.forward(x);                                    // [B,T,H]
        List<NDArray> temporaries = new ArrayList<>();
        temporaries.add(x);
        if (rowCaches != null) {
            temporaries.addAll(rowFull);
            temporaries.addAll(rowSliding);
        } else if (packed == null) {
            // (packed bounds stay in the input's manager: a checkpointed layer reads them again in the backward pass)
            temporaries.add(fullMask);
            temporaries.add(slidingMask);
        }
        for (NDArray temporary : temporaries) {
            if (temporary != hidden) {
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

    /** Whether decode steps may run as one native call (default: whenever the native library is loaded). */
    public void setNativeDecode(boolean enabled) {
        this.nativeDecode = enabled;
    }

    /** One new token per row over a shared KV cache, dense projections, no attention soft-cap: what the native step does. */
    private boolean nativeDecodable(ModelInput input) {
        if (!nativeDecode || !Kernels.available() || input.cache() == null || input.length() != 1
                || input.rowCaches() != null || input.delta() != null || input.segmentIds() != null
                || config.attnLogitSoftcapping() != null) {
            return false;
        }
        for (Projection projection : projections.values()) {
            if (!(projection.get() instanceof DenseLinear)) {
                return false;
            }
        }
        return true;
    }

    /** The decode step as one native call over this model's weights and the cache's buffers (see tooltune_torch.cc). */
    private NDArray nativeDecode(ModelInput input) {
        KvCache cache = input.cache();
        if (cache.nativeDecoder() == 0) {
            // order: embedding, head, final scale, local/global inverse frequencies, full/ring validity; then per
            // layer q k v o gate up down, the six norm scales, keys, values
            List<NDArray> buffers = cache.buffers();
            int layerCount = layers.size();
            List<NDArray> tensors = new ArrayList<>();
            tensors.add(embedding);
            tensors.add(lmHead == null ? embedding : lmHead);
            tensors.add(finalNorm.scale());
            tensors.add(localRope.inverseFrequencies());
            tensors.add(globalRope.inverseFrequencies());
            tensors.add(buffers.get(2 * layerCount));
            tensors.add(buffers.get(2 * layerCount + 1));
            long[] ints = new long[6 + layerCount];
            ints[0] = layerCount;
            ints[1] = config.numAttentionHeads();
            ints[2] = config.numKeyValueHeads();
            ints[3] = config.headDim();
            ints[4] = config.hiddenSize();
            ints[5] = computeType == DataType.FLOAT16 ? 1 : 0;
            for (int l = 0; l < layerCount; l++) {
                DecoderLayer layer = layers.get(l);
                ints[6 + l] = layer.sliding ? 1 : 0;
                for (Projection p : new Projection[] {layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down}) {
                    tensors.add(((DenseLinear) p.get()).weight());
                }
                for (RmsNorm norm : new RmsNorm[] {layer.queryNorm, layer.keyNorm, layer.inputNorm, layer.postAttentionNorm,
                        layer.preFeedforwardNorm, layer.postFeedforwardNorm}) {
                    tensors.add(norm.scale());
                }
                tensors.add(buffers.get(2 * l));
                tensors.add(buffers.get(2 * l + 1));
            }
            double softcap = config.finalLogitSoftcapping() == null ? 0 : config.finalLogitSoftcapping();
            double[] doubles = {config.rmsNormEps(), embedScale, Math.pow(config.queryPreAttnScalar(), -0.5), softcap};
            cache.nativeDecoder(Kernels.decoderCreate(tensors, ints, doubles));
        }
        int length = cache.length();
        int slot = cache.beginToken();
        NDArray logits;
        try {
            logits = Kernels.decoderStep(cache.nativeDecoder(), input.inputIds(), input.positionIds(), input.keyMask(),
                    length, slot);
        } catch (RuntimeException e) {
            cache.abort();
            throw e;
        }
        cache.commit();
        nativeDecodeSteps.incrementAndGet();
        return logits;
    }

    /** Decode steps run by the native decoder so far (benchmarks and checks report it). */
    public long nativeDecodeSteps() {
        return nativeDecodeSteps.get();
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

    /** Logits [B,V] of each row's last position only (generation: avoids [B,T,V] during prefill). */
    public NDArray lastLogits(ModelInput input) {
        if (nativeDecodable(input)) {
            return nativeDecode(input);
        }
        NDArray hidden = hiddenStates(input, false);
        NDArray last = hidden.get(new NDIndex(":, -1, :"));                        // [B,H]
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
