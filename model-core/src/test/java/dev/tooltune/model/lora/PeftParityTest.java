package dev.tooltune.model.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.model.checkpoint.SafetensorsFile;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.layers.Projection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapters written by peft 0.21 (committed fixtures, non-zero B) applied by model-core reproduce PEFT's logits,
 * and what model-core writes reads back identically and merges into an equivalent plain checkpoint.
 */
class PeftParityTest {

    static final Path PARITY = Path.of("src/test/resources/parity");

    @Test
    void peftAdapterLogitsMatchInJava() throws Exception {
        for (String[] fixture : new String[][] {{"lora", "lora"}, {"lora-rslora", "lora_rslora"}}) {
            try (NDManager manager = NDManager.newBaseManager();
                    Gemma3Model model = Gemma3Model.load(PARITY.resolve("tiny"))) {
                List<Projection> projections = new ArrayList<>(model.projections().values());
                try (LoraAdapter adapter = PeftAdapterFiles.load(PARITY.resolve(fixture[0]), model.manager(), projections)) {
                    adapter.attach();
                    double error = relativeError(manager, batchLogits(manager, model), reference(manager, fixture[1]));
                    System.out.printf("PEFT fixture %s: max rel error %.3e%n", fixture[0], error);
                    assertTrue(error < 1e-4, fixture[0] + ": max rel error " + error);
                    adapter.detach();
                    double withoutAdapter = relativeError(manager, batchLogits(manager, model), reference(manager, fixture[1]));
                    assertTrue(withoutAdapter > 0.1, "the adapter must matter: " + withoutAdapter);
                }
            }
        }
    }

    @Test
    void rsloraScalingIsReadFromTheConfig() {
        LoraConfig config = PeftAdapterFiles.readConfig(PARITY.resolve("lora-rslora"));
        assertEquals(8, config.rank());
        assertEquals(16 / Math.sqrt(8), config.scaling(), 1e-12);
        assertEquals(Set.of("q_proj", "v_proj"), config.targetModules());
    }

    @Test
    void savedAdapterReadsBackAndMergedCheckpointGivesTheSameLogits(@TempDir Path directory) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                Gemma3Model model = Gemma3Model.load(PARITY.resolve("tiny"))) {
            List<Projection> projections = new ArrayList<>(model.projections().values());
            NDArray adapted;
            try (LoraAdapter adapter = PeftAdapterFiles.load(PARITY.resolve("lora"), model.manager(), projections)) {
                adapter.attach();
                adapted = batchLogits(manager, model);
                PeftAdapterFiles.save(adapter, directory.resolve("adapter"), "tiny");
                MergedExport.write(model, adapter, directory.resolve("merged"), PARITY.resolve("tiny"));
            }
            try (LoraAdapter reloaded = PeftAdapterFiles.load(directory.resolve("adapter"), model.manager(), projections)) {
                reloaded.attach();
                assertEquals(0.0, relativeError(manager, batchLogits(manager, model), adapted), 1e-7);
            }
            JsonNode saved = new ObjectMapper().readTree(directory.resolve("adapter/adapter_config.json").toFile());
            assertEquals("LORA", saved.get("peft_type").asText());
            assertEquals(4, saved.get("r").asInt());
            assertEquals("CAUSAL_LM", saved.get("task_type").asText());
            try (Gemma3Model merged = Gemma3Model.load(directory.resolve("merged"))) {
                double error = relativeError(manager, batchLogits(manager, merged), adapted);
                assertTrue(error < 1e-5, "merged checkpoint vs adapter: " + error);
            }
        }
    }

    /**
     * Writes what the reverse check needs (bench/results/peft-reverse-check.md): an adapter made and saved by
     * model-core (rsLoRA, a subset of modules, non-zero B) and the Java logits of the `batch` case with it, under
     * target/peft-check/. check_java_adapter.py then loads the adapter with PEFT and compares.
     */
    @Test
    void exportsAJavaAdapterAndItsLogitsForThePeftCheck() throws Exception {
        Path out = Path.of("target/peft-check");
        try (NDManager manager = NDManager.newBaseManager();
                Gemma3Model model = Gemma3Model.load(PARITY.resolve("tiny"))) {
            List<Projection> projections = new ArrayList<>(model.projections().values());
            LoraConfig config = new LoraConfig(6, 12, 0.0, Set.of("q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"), true);
            try (LoraAdapter adapter = LoraAdapter.create(model.manager(), config, projections, 2026)) {
                java.util.Random random = new java.util.Random(17);
                for (LoraLinear layer : adapter.layers().values()) {
                    float[] b = new float[(int) layer.loraB().size()];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (float) (random.nextGaussian() * 0.1);
                    }
                    layer.loraB().set(b);
                }
                adapter.attach();
                NDArray logits = batchLogits(manager, model);
                PeftAdapterFiles.save(adapter, out.resolve("adapter"), "model-core/src/test/resources/parity/tiny");
                dev.tooltune.model.checkpoint.SafetensorsWriter.write(out.resolve("java_logits.safetensors"),
                        java.util.Map.of("logits", logits));
                adapter.detach();
                assertTrue(relativeError(manager, batchLogits(manager, model), logits) > 0.05, "the adapter changes the logits");
            }
            try (LoraAdapter reloaded = PeftAdapterFiles.load(out.resolve("adapter"), model.manager(), projections)) {
                assertEquals(12 / Math.sqrt(6), reloaded.config().scaling(), 1e-9);
                assertEquals(30, reloaded.layers().size());
            }
        }
    }

    @Test
    void unsupportedPeftFeaturesAreRefusedByName(@TempDir Path directory) throws Exception {
        Files.createDirectories(directory);
        String config = Files.readString(PARITY.resolve("lora/adapter_config.json")).replace("\"use_dora\": false", "\"use_dora\": true");
        Files.writeString(directory.resolve("adapter_config.json"), config);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftAdapterFiles.readConfig(directory));
        assertTrue(e.getMessage().contains("'use_dora'"), e.getMessage());
    }

    /** The `batch` case: 3 left-padded rows with explicit positions, as the reference was computed. */
    static NDArray batchLogits(NDManager manager, Gemma3Model model) throws Exception {
        JsonNode batch = new ObjectMapper().readTree(PARITY.resolve("cases.json").toFile()).get("batch");
        NDArray ids = matrix(manager, batch.get("input_ids"));
        NDArray positions = matrix(manager, batch.get("position_ids"));
        NDArray mask = matrix(manager, batch.get("attention_mask"));
        NDArray logits = model.forward(ModelInput.of(ids, positions).withKeyMask(mask), false);
        return logits.mul(mask.expandDims(2).toType(DataType.FLOAT32, false));
    }

    static NDArray reference(NDManager manager, String tensor) {
        try (SafetensorsFile file = SafetensorsFile.open(PARITY.resolve("lora_logits.safetensors"))) {
            return file.read(tensor, manager, DataType.FLOAT32);
        }
    }

    /** max |a - b| / max |b| (padding positions are zero in both). */
    static double relativeError(NDManager manager, NDArray actual, NDArray expected) {
        return actual.sub(expected).abs().max().getFloat() / (double) expected.abs().max().getFloat();
    }

    static NDArray matrix(NDManager manager, JsonNode rows) {
        int r = rows.size();
        int c = rows.get(0).size();
        long[] values = new long[r * c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                values[i * c + j] = rows.get(i).get(j).asLong();
            }
        }
        return manager.create(values, new Shape(r, c));
    }
}
