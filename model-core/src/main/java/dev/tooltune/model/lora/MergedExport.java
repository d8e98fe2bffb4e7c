package dev.tooltune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.checkpoint.SafetensorsWriter;
import dev.tooltune.model.checkpoint.StoredType;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.layers.DenseLinear;
import dev.tooltune.model.layers.Linear;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.quant.Nf4Linear;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds an adapter into the base weights ({@code W' = W + scaling * B A}) and writes a full Hugging Face
 * checkpoint (config.json + model.safetensors, F32) that loads with no PEFT at all. The model in memory is
 * not changed: merged weights are computed one tensor at a time while streaming to disk. NF4 bases (QLoRA)
 * are dequantised first, as PEFT's merge of a 4-bit model does.
 */
public final class MergedExport {

    /** Files of a model directory that are copied unchanged when a source directory is given. */
    public static final List<String> SIDE_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "tokenizer.model");

    private MergedExport() {}

    /**
     * @param adapter         the adapter to fold in (attached or not); null exports the base as it is
     * @param sourceDirectory the base model's directory, to copy tokenizer and generation files from; may be null
     */
    public static void write(Gemma3Model model, LoraAdapter adapter, Path directory, Path sourceDirectory) {
        Map<String, LoraLinear> adapted = adapter == null ? Map.of() : adapter.layers();
        // every parameter name -> how to produce it
        Map<String, NDArray> plain = new LinkedHashMap<>();
        Map<String, Projection> projectionWeights = new LinkedHashMap<>();
        model.parameters().forEach((name, array) -> {
            if (array != null) {
                plain.put(name, array);
            }
        });
        for (Projection projection : model.projections().values()) {
            String name = projection.name() + ".weight";
            plain.remove(name);
            projectionWeights.put(name, projection);
        }
        List<SafetensorsWriter.Spec> specs = new ArrayList<>();
        plain.forEach((name, array) -> specs.add(new SafetensorsWriter.Spec(name, array.getShape().getShape(), StoredType.F32)));
        projectionWeights.forEach((name, projection) -> specs.add(new SafetensorsWriter.Spec(name,
                new long[] {projection.get().outFeatures(), projection.get().inFeatures()}, StoredType.F32)));
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        model.config().write(directory.resolve("config.json"));
        try (SafetensorsWriter writer = new SafetensorsWriter(directory.resolve("model.safetensors"), specs, Map.of("format", "pt"))) {
            for (NDArray array : plain.values()) {
                try (NDScope scope = new NDScope()) {
                    writer.append(array.toType(DataType.FLOAT32, false));
                }
            }
            for (Projection projection : projectionWeights.values()) {
                try (NDScope scope = new NDScope()) {
                    LoraLinear lora = adapted.get(projection.name());
                    Linear slot = projection.get();
                    Linear base = slot instanceof LoraLinear l ? l.base() : slot;
                    NDArray weight = denseWeight(base);
                    if (lora != null) {
                        weight = weight.add(lora.delta().toType(weight.getDataType(), false));
                    } else if (slot instanceof LoraLinear other) {
                        weight = weight.add(other.delta().toType(weight.getDataType(), false));
                    }
                    writer.append(weight.toType(DataType.FLOAT32, false));
                }
            }
        }
        if (sourceDirectory != null) {
            for (String file : SIDE_FILES) {
                Path source = sourceDirectory.resolve(file);
                if (Files.exists(source)) {
                    try {
                        Files.copy(source, directory.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot copy " + source, e);
                    }
                }
            }
        }
    }

    /** The [out, in] weight of a dense or NF4 layer (a new array for NF4, the live one for dense). */
    public static NDArray denseWeight(Linear linear) {
        if (linear instanceof DenseLinear dense) {
            return dense.weight();
        }
        if (linear instanceof Nf4Linear nf4) {
            return nf4.dequantize(DataType.FLOAT32);
        }
        throw new IllegalArgumentException("cannot read a weight out of " + linear.getClass().getSimpleName());
    }
}
