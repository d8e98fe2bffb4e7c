package dev.tooltune.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code generation_config.json}: the stop ids and the sampling defaults the checkpoint ships with. Gemma 3
 * instruction models stop on {@code <eos>} (1) and {@code <end_of_turn>} (106).
 */
public record GenerationConfig(List<Integer> eosTokenIds, int padTokenId, int bosTokenId, boolean doSample,
                               double temperature, int topK, double topP) {

    public static final int END_OF_TURN = 106;

    public static GenerationConfig defaults() {
        return new GenerationConfig(List.of(1, END_OF_TURN), 0, 2, false, 1.0, 0, 1.0);
    }

    /** Reads {@code generation_config.json} from a model directory; defaults when the file is absent. */
    public static GenerationConfig load(Path modelDirectory) {
        Path file = modelDirectory.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) {
            return defaults();
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
        GenerationConfig d = defaults();
        List<Integer> eos = root.has("eos_token_id") ? Gemma3Config.tokenIds(root.get("eos_token_id"), 1) : d.eosTokenIds();
        return new GenerationConfig(List.copyOf(eos),
                root.path("pad_token_id").asInt(d.padTokenId()),
                root.path("bos_token_id").asInt(d.bosTokenId()),
                root.path("do_sample").asBoolean(false),
                root.path("temperature").asDouble(1.0),
                root.path("top_k").asInt(0),
                root.path("top_p").asDouble(1.0));
    }
}
