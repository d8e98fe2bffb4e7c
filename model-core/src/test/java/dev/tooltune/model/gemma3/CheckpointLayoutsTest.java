package dev.tooltune.model.gemma3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.model.checkpoint.SafetensorsWriter;
import dev.tooltune.model.checkpoint.StoredType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same weights saved the ways the Hub stores Gemma 3 load into the same model: Gemma3ForConditionalGeneration
 * (multimodal config wrapper with text_config, {@code model.language_model.*} names, a vision tower to skip),
 * sharded with {@code model.safetensors.index.json}, in bf16.
 */
class CheckpointLayoutsTest {

    static float[] logits(Gemma3Model model) {
        try (NDManager scope = NDManager.newBaseManager("PyTorch")) {
            long[] ids = {2, 40, 7, 99, 123, 5, 77, 31, 8, 250, 11, 3};
            long[] pos = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                pos[i] = i;
            }
            return model.forward(ModelInput.of(scope.create(ids).reshape(1, -1), scope.create(pos).reshape(1, -1)), false)
                    .toFloatArray();
        }
    }

    @Test
    void conditionalGenerationShardedBf16LoadsLikeCausalLm(@TempDir Path dir) throws Exception {
        var config = TestModels.config();
        RandomInit init = new RandomInit(4, 0.15, 0.3);
        Path causal = dir.resolve("causal");
        Gemma3Model.writeRandomCheckpoint(config, init, causal, StoredType.BF16);

        // Rewrite as transformers 5's Gemma3ForConditionalGeneration: two shards, a vision tensor, a wrapper config.
        Path multimodal = dir.resolve("multimodal");
        Files.createDirectories(multimodal);
        ObjectMapper json = new ObjectMapper();
        ObjectNode wrapper = json.createObjectNode();
        wrapper.putArray("architectures").add("Gemma3ForConditionalGeneration");
        wrapper.put("model_type", "gemma3");
        wrapper.set("text_config", config.toJson());
        wrapper.putObject("vision_config").put("hidden_size", 8);
        Files.writeString(multimodal.resolve("config.json"), json.writeValueAsString(wrapper));
        try (Gemma3Model reference = Gemma3Model.load(causal); NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> first = new LinkedHashMap<>();
            Map<String, NDArray> second = new LinkedHashMap<>();
            Map<String, String> index = new LinkedHashMap<>();
            int i = 0;
            for (Map.Entry<String, NDArray> p : reference.parameters().entrySet()) {
                String stored = p.getKey().replaceFirst("^model\\.", "model.language_model.");
                (i++ % 2 == 0 ? first : second).put(stored, p.getValue());
                index.put(stored, (i % 2 == 1 ? "model-00001-of-00002" : "model-00002-of-00002") + ".safetensors");
            }
            NDArray vision = m.ones(new Shape(3, 3), DataType.FLOAT32);
            first.put("model.vision_tower.vision_model.post_layernorm.weight", vision);
            index.put("model.vision_tower.vision_model.post_layernorm.weight", "model-00001-of-00002.safetensors");
            SafetensorsWriter.write(multimodal.resolve("model-00001-of-00002.safetensors"), first, StoredType.BF16, Map.of());
            SafetensorsWriter.write(multimodal.resolve("model-00002-of-00002.safetensors"), second, StoredType.BF16, Map.of());
            SafetensorsWriter.writeIndex(multimodal, index, 0);

            try (Gemma3Model loaded = Gemma3Model.load(multimodal)) {
                assertArrayEquals(logits(reference), logits(loaded), 0f,
                        "bf16 values round-trip exactly, so the logits are identical");
            }
        }
    }

    @Test
    void aMissingOrMisshapenTensorIsNamed(@TempDir Path dir) throws Exception {
        var config = TestModels.config();
        Path model = dir.resolve("model");
        Gemma3Model.writeRandomCheckpoint(config, RandomInit.of(1), model, StoredType.F32);
        // a config that wants more layers than the checkpoint has
        var bigger = config.toBuilder();
        bigger.numHiddenLayers = 6;
        bigger.layerTypes = new java.util.ArrayList<>(config.layerTypes());
        bigger.layerTypes.add(dev.tooltune.model.config.Gemma3Config.FULL);
        bigger.build().write(model.resolve("config.json"));
        String message = assertThrows(IllegalArgumentException.class, () -> Gemma3Model.load(model)).getMessage();
        assertTrue(message.contains("model.layers.5."), message);
        // a config whose hidden size disagrees with the weights
        var wider = config.toBuilder();
        wider.intermediateSize = 64;
        wider.build().write(model.resolve("config.json"));
        message = assertThrows(IllegalArgumentException.class, () -> Gemma3Model.load(model)).getMessage();
        assertTrue(message.contains("gate_proj") && message.contains("shape"), message);
    }

}
