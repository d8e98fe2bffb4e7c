package dev.tooltune.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gemma3ConfigTest {

    private static final Path REFERENCE = Path.of("/work/shared/reference/gemma3-text-configs.json");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void presetsMatchThePublishedCheckpointConfigs() throws Exception {
        // The presets are copies of the Hub configs; when the shared reference is present, prove they agree.
        JsonNode reference = Files.exists(REFERENCE) ? JSON.readTree(REFERENCE.toFile()) : null;
        String[][] pairs = {{"270m", "gemma-3-270m"}, {"1b", "gemma-3-1b-it"}, {"4b", "gemma-3-4b-it (text_config)"}};
        for (String[] pair : pairs) {
            Gemma3Config preset = Gemma3Config.preset(pair[0]);
            if (reference != null) {
                Gemma3Config ref = Gemma3Config.fromJson(reference.get(pair[1]).toString());
                assertEquals(ref.toJson(), preset.toJson(), pair[0]);
            }
        }
    }

    @Test
    void the270mConfig() {
        Gemma3Config c = Gemma3Config.preset("270m");
        assertEquals(262_144, c.vocabSize());
        assertEquals(640, c.hiddenSize());
        assertEquals(18, c.numHiddenLayers());
        assertEquals(4, c.queriesPerKeyValue());
        assertEquals(List.of(1, 106), c.eosTokenIds());
        // pattern 6: five sliding layers then a full one
        for (int l = 0; l < 18; l++) {
            assertEquals((l + 1) % 6 != 0, c.isSliding(l), "layer " + l);
        }
        assertEquals("default", c.globalRope().ropeType());
        assertEquals(1_000_000.0, c.globalRope().theta());
        assertEquals(10_000.0, c.localRope().theta());
        assertNull(c.finalLogitSoftcapping());
        assertTrue(c.tieWordEmbeddings());
        // 268M parameters (170M of them the embedding), as Google states for Gemma 3 270M
        assertEquals(268_098_176L, c.parameterCount());
    }

    @Test
    void the4bConfigHasLinearRopeScalingOnGlobalLayers() {
        Gemma3Config c = Gemma3Config.preset("4b");
        assertEquals("linear", c.globalRope().ropeType());
        assertEquals(8.0, c.globalRope().factor());
        assertEquals("default", c.localRope().ropeType());
        assertEquals(1024, c.slidingWindow());
        assertEquals(262_208, c.vocabSize());
        assertEquals(2, c.queriesPerKeyValue());
        float[] global = c.globalRope().inverseFrequencies(256);
        assertEquals(1.0f / 8, global[0], 1e-9);
        assertEquals((float) (Math.pow(1e6, -254.0 / 256) / 8), global[127], 1e-12);
    }

    @Test
    void multimodalWrapperReadsTextConfig() {
        String json = """
                {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                 "text_config": {"model_type": "gemma3_text", "hidden_size": 2560, "intermediate_size": 10240,
                   "num_hidden_layers": 34, "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
                   "sliding_window": 1024, "rope_scaling": {"rope_type": "linear", "factor": 8.0}},
                 "vision_config": {"hidden_size": 1152}, "eos_token_id": [1, 106]}
                """;
        Gemma3Config c = Gemma3Config.fromJson(json);
        assertEquals(34, c.numHiddenLayers());
        assertEquals("linear", c.globalRope().ropeType());
        assertEquals(List.of(1, 106), c.eosTokenIds());
        assertEquals(262_208, c.vocabSize()); // transformers' default when text_config omits it
    }

    @Test
    void transformers5RopeParametersAndLayerTypes() {
        String json = """
                {"model_type": "gemma3_text", "vocab_size": 100, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 3, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4,
                 "sliding_window": 4,
                 "layer_types": ["full_attention", "sliding_attention", "full_attention"],
                 "rope_parameters": {
                    "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000.0},
                    "sliding_attention": {"rope_type": "default", "rope_theta": 5000.0}},
                 "final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0, "tie_word_embeddings": false}
                """;
        Gemma3Config c = Gemma3Config.fromJson(json);
        assertEquals(new RopeParameters("linear", 500000.0, 4.0), c.globalRope());
        assertEquals(RopeParameters.plain(5000.0), c.localRope());
        assertEquals(List.of(false, true, false), List.of(c.isSliding(0), c.isSliding(1), c.isSliding(2)));
        assertEquals(30.0, c.finalLogitSoftcapping());
        assertEquals(50.0, c.attnLogitSoftcapping());
        assertEquals(false, c.tieWordEmbeddings());
        // what we write reads back identically
        assertEquals(c.toJson(), Gemma3Config.fromJson(c.toJson().toString()).toJson());
    }

    @Test
    void badConfigsSayWhatIsWrong(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {"model_type": "gemma3_text", "num_hidden_layers": 2, "layer_types": ["sliding_attention"]}""");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gemma3Config.load(file));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("layer_types"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Gemma3Config.fromJson("""
                {"model_type": "gemma3_text", "rope_scaling": {"rope_type": "yarn", "factor": 2}}"""));
        assertTrue(e.getMessage().contains("rope_scaling") && e.getMessage().contains("yarn"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Gemma3Config.fromJson("""
                {"model_type": "llama"}"""));
        assertTrue(e.getMessage().contains("llama"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Gemma3Config.fromJson("""
                {"model_type": "gemma3_text", "hidden_size": "big"}"""));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    }

    @Test
    void generationConfigEosIds(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("generation_config.json"), """
                {"bos_token_id": 2, "eos_token_id": [1, 106], "pad_token_id": 0, "do_sample": true,
                 "top_k": 64, "top_p": 0.95, "cache_implementation": "hybrid"}""");
        GenerationConfig g = GenerationConfig.load(dir);
        assertEquals(List.of(1, 106), g.eosTokenIds());
        assertEquals(64, g.topK());
        assertEquals(0.95, g.topP(), 1e-12);
        assertTrue(g.doSample());
        GenerationConfig none = GenerationConfig.load(dir.resolve("missing"));
        assertEquals(List.of(1, 106), none.eosTokenIds());
    }
}
