package dev.tooltune.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}. Tensor names are normalised to the text model's
 * {@code Gemma3ForCausalLM} names ({@code model.layers.3.self_attn.q_proj.weight}, {@code lm_head.weight}),
 * whether the checkpoint was saved as {@code Gemma3ForCausalLM} or {@code Gemma3ForConditionalGeneration}
 * ({@code language_model.model.*} in transformers 4.x, {@code model.language_model.*} in 5.x); the vision tower
 * and projector are skipped.
 */
public final class Checkpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final List<SafetensorsFile> files;
    /** normalised name -> (file, original entry) */
    private final Map<String, Located> tensors;
    private final List<String> skipped;

    private record Located(SafetensorsFile file, TensorEntry entry) {
    }

    private Checkpoint(Path directory, List<SafetensorsFile> files, Map<String, Located> tensors, List<String> skipped) {
        this.directory = directory;
        this.files = files;
        this.tensors = tensors;
        this.skipped = skipped;
    }

    public static Checkpoint open(Path directory) {
        List<Path> shardPaths = shardPaths(directory);
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, Located> tensors = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        try {
            for (Path shard : shardPaths) {
                SafetensorsFile file = SafetensorsFile.open(shard);
                files.add(file);
                for (TensorEntry entry : file.tensors().values()) {
                    String name = textModelName(entry.name());
                    if (name == null) {
                        skipped.add(entry.name());
                        continue;
                    }
                    Located previous = tensors.put(name, new Located(file, entry));
                    if (previous != null) {
                        throw new IllegalArgumentException(directory + ": tensor " + name + " appears twice ("
                                + previous.entry().name() + " in " + previous.file().path().getFileName() + " and "
                                + entry.name() + " in " + shard.getFileName() + ")");
                    }
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(directory, files, Collections.unmodifiableMap(tensors), Collections.unmodifiableList(skipped));
    }

    private static List<Path> shardPaths(Path directory) {
        if (Files.isRegularFile(directory) && directory.toString().endsWith(".safetensors")) {
            return List.of(directory);
        }
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(directory + " is not a model directory");
        }
        Path single = directory.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        Path index = directory.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode root;
            try {
                root = JSON.readTree(index.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(index + " is not valid JSON: " + e.getMessage(), e);
            }
            JsonNode weightMap = root.get("weight_map");
            if (weightMap == null || !weightMap.isObject()) {
                throw new IllegalArgumentException(index + ": no weight_map object");
            }
            List<Path> shards = new ArrayList<>();
            weightMap.fields().forEachRemaining(f -> {
                Path shard = directory.resolve(f.getValue().asText());
                if (!shards.contains(shard)) {
                    shards.add(shard);
                }
            });
            for (Path shard : shards) {
                if (!Files.isRegularFile(shard)) {
                    throw new IllegalArgumentException(index + " names shard " + shard.getFileName()
                            + ", which does not exist");
                }
            }
            return shards;
        }
        try (Stream<Path> listing = Files.list(directory)) {
            List<Path> found = listing.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (found.isEmpty()) {
                throw new IllegalArgumentException(directory + " has no model.safetensors, no model.safetensors.index.json"
                        + " and no other .safetensors file");
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The {@code Gemma3ForCausalLM} name of a stored tensor, or null for tensors that are not part of the text
     * model (vision tower, multimodal projector).
     */
    public static String textModelName(String stored) {
        String name = stored;
        if (name.startsWith("language_model.")) {
            name = name.substring("language_model.".length());
        } else if (name.startsWith("model.language_model.")) {
            name = "model." + name.substring("model.language_model.".length());
        }
        if (name.startsWith("model.vision_tower.") || name.startsWith("vision_tower.")
                || name.startsWith("model.multi_modal_projector.") || name.startsWith("multi_modal_projector.")
                || name.startsWith("vision_model.")) {
            return null;
        }
        if (!name.startsWith("model.") && !name.startsWith("lm_head.")) {
            return null;
        }
        return name;
    }

    public Path directory() {
        return directory;
    }

    /** Normalised tensor names in file order. */
    public java.util.Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** Original names that were skipped as not part of the text model. */
    public List<String> skipped() {
        return skipped;
    }

    public TensorEntry entry(String name) {
        return locate(name).entry();
    }

    public NDArray read(String name, NDManager manager, DataType computeType) {
        Located located = locate(name);
        return located.file().read(located.entry(), manager, computeType);
    }

    public float[] readFloats(String name) {
        Located located = locate(name);
        return located.file().readFloats(located.entry().name());
    }

    private Located locate(String name) {
        Located located = tensors.get(name);
        if (located == null) {
            throw new IllegalArgumentException(directory + ": checkpoint has no tensor '" + name + "'");
        }
        return located;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
