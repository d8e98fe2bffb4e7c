package dev.tooltune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.model.checkpoint.SafetensorsFile;
import dev.tooltune.model.checkpoint.SafetensorsWriter;
import dev.tooltune.model.checkpoint.TensorEntry;
import dev.tooltune.model.layers.Projection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hugging Face PEFT's on-disk LoRA format: {@code adapter_config.json} and {@code adapter_model.safetensors}
 * with tensors named {@code base_model.model.<module>.lora_A.weight} [r, in] and {@code ...lora_B.weight}
 * [out, r] (fp32). What PEFT can express but this model-core does not support (DoRA, bias training, per-layer
 * rank or alpha patterns, modules_to_save, regex targets) is refused with the field named.
 */
public final class PeftAdapterFiles {

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PeftAdapterFiles() {}

    /** Writes the adapter so that {@code PeftModel.from_pretrained(base, directory)} loads it. */
    public static void save(LoraAdapter adapter, Path directory, String baseModelNameOrPath) {
        LoraConfig config = adapter.config();
        ObjectNode json = JSON.createObjectNode();
        json.putObject("alpha_pattern");
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("bias", "none");
        json.put("fan_in_fan_out", false);
        json.put("inference_mode", true);
        json.put("init_lora_weights", true);
        json.putNull("layers_pattern");
        json.putNull("layers_to_transform");
        json.put("lora_alpha", config.alpha());
        json.put("lora_dropout", config.dropout());
        json.putNull("modules_to_save");
        json.put("peft_type", "LORA");
        json.put("r", config.rank());
        json.putObject("rank_pattern");
        json.putNull("revision");
        ArrayNode targets = json.putArray("target_modules");
        config.targetModules().forEach(targets::add);
        json.put("task_type", "CAUSAL_LM");
        json.put("use_dora", false);
        json.put("use_rslora", config.useRslora());
        try {
            Files.createDirectories(directory);
            JSON.writeValue(directory.resolve(CONFIG_FILE).toFile(), json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + directory.resolve(CONFIG_FILE), e);
        }
        Map<String, NDArray> tensors = new java.util.LinkedHashMap<>();
        adapter.peftTensors().forEach((name, array) ->
                tensors.put(name, array.getDataType() == DataType.FLOAT32 ? array : array.toType(DataType.FLOAT32, false)));
        SafetensorsWriter.write(directory.resolve(WEIGHTS_FILE), tensors);
    }

    /** Reads {@code adapter_config.json}, refusing what this implementation cannot reproduce exactly. */
    public static LoraConfig readConfig(Path directory) {
        Path file = directory.resolve(CONFIG_FILE);
        JsonNode json;
        try {
            json = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String where = file.toString();
        if (!"LORA".equals(json.path("peft_type").asText("LORA"))) {
            throw new IllegalArgumentException(where + ": peft_type is " + json.get("peft_type") + ", only LORA is supported");
        }
        refuseIf(json.path("use_dora").asBoolean(false), where, "use_dora", "DoRA is not supported");
        refuseIf(!"none".equals(json.path("bias").asText("none")), where, "bias", "trained biases are not supported (Gemma has none)");
        refuseIf(json.path("fan_in_fan_out").asBoolean(false), where, "fan_in_fan_out", "must be false for Gemma's Linear layers");
        refuseIf(nonEmpty(json.get("rank_pattern")), where, "rank_pattern", "per-layer ranks are not supported");
        refuseIf(nonEmpty(json.get("alpha_pattern")), where, "alpha_pattern", "per-layer alphas are not supported");
        refuseIf(nonEmpty(json.get("modules_to_save")), where, "modules_to_save", "fully trained extra modules are not supported");
        refuseIf(nonEmpty(json.get("layers_to_transform")), where, "layers_to_transform", "layer subsets are not supported");
        refuseIf(nonEmpty(json.get("trainable_token_indices")), where, "trainable_token_indices", "is not supported");
        JsonNode targetNode = json.get("target_modules");
        Set<String> targets = new LinkedHashSet<>();
        if (targetNode != null && targetNode.isArray()) {
            targetNode.forEach(t -> targets.add(t.asText()));
        } else if (targetNode != null && targetNode.isTextual() && LoraConfig.GEMMA_MODULES.contains(targetNode.asText())) {
            targets.add(targetNode.asText());
        } else {
            throw new IllegalArgumentException(where + ": target_modules " + targetNode
                    + " must be a list of module names (regular expressions are not supported)");
        }
        if (!json.has("r") || !json.has("lora_alpha")) {
            throw new IllegalArgumentException(where + ": r and lora_alpha are required");
        }
        try {
            return new LoraConfig(json.get("r").asInt(), json.get("lora_alpha").asDouble(), json.path("lora_dropout").asDouble(0),
                    targets, json.path("use_rslora").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** Loads an adapter over the model's projections (not attached yet). */
    public static LoraAdapter load(Path directory, NDManager manager, List<Projection> projections) {
        LoraConfig config = readConfig(directory);
        Path weights = directory.resolve(WEIGHTS_FILE);
        Map<String, NDArray> loraA = new HashMap<>();
        Map<String, NDArray> loraB = new HashMap<>();
        Map<String, Projection> byName = new HashMap<>();
        projections.forEach(p -> byName.put(p.name(), p));
        try (NDManager staging = manager.newSubManager(); SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (TensorEntry entry : file.tensors().values()) {
                String name = entry.name();
                String module = moduleOf(name, weights);
                boolean isA = name.contains(".lora_A.");
                Projection projection = byName.get(module);
                if (projection == null) {
                    throw new IllegalArgumentException(weights + ": tensor " + name + " names module " + module
                            + ", which the model does not have");
                }
                long rows = isA ? config.rank() : projection.get().outFeatures();
                long columns = isA ? projection.get().inFeatures() : config.rank();
                long[] shape = entry.shape();
                if (shape.length != 2 || shape[0] != rows || shape[1] != columns) {
                    throw new IllegalArgumentException(weights + ": tensor " + name + " has shape " + java.util.Arrays.toString(shape)
                            + ", expected [" + rows + ", " + columns + "] for r=" + config.rank());
                }
                NDArray array = file.read(entry, staging, DataType.FLOAT32);
                (isA ? loraA : loraB).put(module, array);
            }
            return LoraAdapter.of(manager, config, projections, loraA, loraB);
        }
    }

    /** base_model.model.model.layers.3.self_attn.q_proj.lora_A[.default].weight -> model.layers.3.self_attn.q_proj */
    private static String moduleOf(String tensorName, Path file) {
        int marker = Math.max(tensorName.indexOf(".lora_A."), tensorName.indexOf(".lora_B."));
        if (!tensorName.startsWith(LoraAdapter.PEFT_PREFIX) || marker < 0 || !tensorName.endsWith(".weight")) {
            throw new IllegalArgumentException(file + ": tensor " + tensorName
                    + " is not a LoRA weight (base_model.model.<module>.lora_A.weight / lora_B.weight)");
        }
        return tensorName.substring(LoraAdapter.PEFT_PREFIX.length(), marker);
    }

    private static boolean nonEmpty(JsonNode node) {
        return node != null && !node.isNull() && !(node.isContainerNode() && node.isEmpty()) && !(node.isTextual() && node.asText().isEmpty());
    }

    private static void refuseIf(boolean condition, String where, String field, String message) {
        if (condition) {
            throw new IllegalArgumentException(where + ": field '" + field + "': " + message);
        }
    }
}
