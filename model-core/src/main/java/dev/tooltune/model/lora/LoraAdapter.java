package dev.tooltune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.layers.Linear;
import dev.tooltune.model.layers.Projection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One LoRA adapter over a model's projections: an A [r, in] and B [out, r] per targeted projection, keyed
 * by the projection's Hugging Face module name. {@link #attach} swaps each targeted slot's layer for a
 * {@link LoraLinear} around the layer already there; {@link #detach} puts the base layers back. The base
 * layers are shared, so several adapters can be made (and swapped) over one base model.
 */
public final class LoraAdapter implements AutoCloseable {

    /** PEFT's prefix in front of the base model's parameter names. */
    public static final String PEFT_PREFIX = "base_model.model.";

    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, Projection> projections = new LinkedHashMap<>();
    private final Map<String, LoraLinear> layers = new LinkedHashMap<>();
    private boolean attached;

    private LoraAdapter(LoraConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    /**
     * A fresh adapter: A drawn like PEFT does (kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in),
     * 1/sqrt(in))) from {@code seed}, B zero, so the adapted model starts equal to the base model.
     */
    public static LoraAdapter create(NDManager parent, LoraConfig config, List<Projection> modelProjections, long seed) {
        return create(parent, config, modelProjections, seed, DataType.FLOAT32);
    }

    /** As {@link #create(NDManager, LoraConfig, List, long)} with A and B in {@code dtype} (float64 for gradient checks). */
    public static LoraAdapter create(NDManager parent, LoraConfig config, List<Projection> modelProjections, long seed,
            DataType dtype) {
        LoraAdapter adapter = new LoraAdapter(config, parent.newSubManager());
        SplittableRandom random = new SplittableRandom(seed);
        for (Projection projection : targeted(config, modelProjections)) {
            Linear base = projection.get();
            int in = Math.toIntExact(base.inFeatures());
            float bound = (float) (1.0 / Math.sqrt(in));
            float[] a = new float[config.rank() * in];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
            NDArray loraA = adapter.manager.create(a, new Shape(config.rank(), in)).toType(dtype, false);
            NDArray loraB = adapter.manager.zeros(new Shape(base.outFeatures(), config.rank()), dtype);
            adapter.add(projection, loraA, loraB);
        }
        return adapter;
    }

    /** An adapter from given tensors (e.g. loaded from PEFT files), keyed by projection name. */
    public static LoraAdapter of(NDManager parent, LoraConfig config, List<Projection> modelProjections,
            Map<String, NDArray> loraA, Map<String, NDArray> loraB) {
        LoraAdapter adapter = new LoraAdapter(config, parent.newSubManager());
        for (Projection projection : targeted(config, modelProjections)) {
            NDArray a = loraA.get(projection.name());
            NDArray b = loraB.get(projection.name());
            if (a == null || b == null) {
                adapter.close();
                throw new IllegalArgumentException("adapter has no lora_" + (a == null ? "A" : "B")
                        + " weight for " + projection.name() + ", which its target_modules " + config.targetModules() + " name");
            }
            a.attach(adapter.manager);
            b.attach(adapter.manager);
            adapter.add(projection, a, b);
        }
        return adapter;
    }

    private static List<Projection> targeted(LoraConfig config, List<Projection> modelProjections) {
        List<Projection> out = new ArrayList<>();
        for (Projection projection : modelProjections) {
            if (config.targets(projection.moduleName())) {
                out.add(projection);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no projection of the model matches target modules " + config.targetModules());
        }
        return out;
    }

    private void add(Projection projection, NDArray loraA, NDArray loraB) {
        Linear base = projection.get();
        if (base instanceof LoraLinear) {
            throw new IllegalStateException(projection.name() + " already holds a LoRA adapter; detach it first");
        }
        projections.put(projection.name(), projection);
        layers.put(projection.name(), new LoraLinear(base, loraA, loraB, config.scaling(), config.dropout()));
    }

    /** Puts the adapter into the model's projection slots. */
    public void attach() {
        if (attached) {
            return;
        }
        for (Map.Entry<String, LoraLinear> entry : layers.entrySet()) {
            Projection projection = projections.get(entry.getKey());
            if (projection.get() != entry.getValue().base()) {
                throw new IllegalStateException(projection.name() + " no longer holds the layer this adapter was made for");
            }
            projection.set(entry.getValue());
        }
        attached = true;
    }

    /** Restores the base layers. */
    public void detach() {
        if (!attached) {
            return;
        }
        for (Map.Entry<String, LoraLinear> entry : layers.entrySet()) {
            projections.get(entry.getKey()).set(entry.getValue().base());
        }
        attached = false;
    }

    public boolean isAttached() {
        return attached;
    }

    /** Makes A and B trainable (and only them: the base layers never require gradients). */
    public void requireGradients() {
        for (NDArray parameter : parameters()) {
            parameter.setRequiresGradient(true);
        }
    }

    /** The trainable tensors in a stable order: for each projection, A then B. */
    public List<NDArray> parameters() {
        List<NDArray> out = new ArrayList<>();
        for (LoraLinear layer : layers.values()) {
            out.add(layer.loraA());
            out.add(layer.loraB());
        }
        return out;
    }

    /** PEFT's tensor names for every parameter, in the order of {@link #parameters()}. */
    public Map<String, NDArray> peftTensors() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, LoraLinear> entry : layers.entrySet()) {
            out.put(PEFT_PREFIX + entry.getKey() + ".lora_A.weight", entry.getValue().loraA());
            out.put(PEFT_PREFIX + entry.getKey() + ".lora_B.weight", entry.getValue().loraB());
        }
        return out;
    }

    /** The LoRA layer for each adapted projection name (model.layers.N.self_attn.q_proj, ...). */
    public Map<String, LoraLinear> layers() {
        return Collections.unmodifiableMap(layers);
    }

    public LoraConfig config() {
        return config;
    }

    public long parameterCount() {
        long count = 0;
        for (NDArray parameter : parameters()) {
            count += parameter.size();
        }
        return count;
    }

    /** Detaches and frees A and B; the base layers stay with the model. */
    @Override
    public void close() {
        detach();
        manager.close();
    }
}
