package dev.tooltune.model.config;

import dev.tooltune.model.checkpoint.StoredType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The text model configuration of Gemma 3, read from a Hugging Face {@code config.json}: either a
 * {@code Gemma3ForCausalLM} config ({@code model_type gemma3_text}) or the multimodal wrapper whose text part
 * sits under {@code text_config}. Both the transformers 4.x fields ({@code rope_theta},
 * {@code rope_local_base_freq}, {@code rope_scaling}, {@code sliding_window_pattern}) and the 5.x ones
 * ({@code rope_parameters} per layer type, {@code layer_types}) are understood.
 */
public final class Gemma3Config {

    public static final String SLIDING = "sliding_attention";
    public static final String FULL = "full_attention";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int vocabSize;
    private final int hiddenSize;
    private final int intermediateSize;
    private final int numHiddenLayers;
    private final int numAttentionHeads;
    private final int numKeyValueHeads;
    private final int headDim;
    private final double queryPreAttnScalar;
    private final int slidingWindow;
    private final List<String> layerTypes;
    private final RopeParameters globalRope;
    private final RopeParameters localRope;
    private final double rmsNormEps;
    private final String hiddenActivation;
    private final Double attnLogitSoftcapping;
    private final Double finalLogitSoftcapping;
    private final boolean tieWordEmbeddings;
    private final int maxPositionEmbeddings;
    private final int bosTokenId;
    private final int padTokenId;
    private final List<Integer> eosTokenIds;
    private final double initializerRange;

    private Gemma3Config(Builder b) {
        this.vocabSize = positive("vocab_size", b.vocabSize);
        this.hiddenSize = positive("hidden_size", b.hiddenSize);
        this.intermediateSize = positive("intermediate_size", b.intermediateSize);
        this.numHiddenLayers = positive("num_hidden_layers", b.numHiddenLayers);
        this.numAttentionHeads = positive("num_attention_heads", b.numAttentionHeads);
        this.numKeyValueHeads = positive("num_key_value_heads", b.numKeyValueHeads);
        this.headDim = positive("head_dim", b.headDim);
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for RoPE, got " + headDim);
        }
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numAttentionHeads
                    + ") must be a multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        this.queryPreAttnScalar = b.queryPreAttnScalar;
        if (!(queryPreAttnScalar > 0)) {
            throw new IllegalArgumentException("query_pre_attn_scalar must be > 0, got " + queryPreAttnScalar);
        }
        this.slidingWindow = positive("sliding_window", b.slidingWindow);
        List<String> types = b.layerTypes;
        if (types == null) {
            types = new ArrayList<>();
            for (int i = 0; i < numHiddenLayers; i++) {
                types.add((i + 1) % b.slidingWindowPattern != 0 ? SLIDING : FULL);
            }
        }
        if (types.size() != numHiddenLayers) {
            throw new IllegalArgumentException("layer_types has " + types.size() + " entries but num_hidden_layers is "
                    + numHiddenLayers);
        }
        for (int i = 0; i < types.size(); i++) {
            if (!types.get(i).equals(SLIDING) && !types.get(i).equals(FULL)) {
                throw new IllegalArgumentException("layer_types[" + i + "] is '" + types.get(i) + "', expected '"
                        + SLIDING + "' or '" + FULL + "'");
            }
        }
        this.layerTypes = List.copyOf(types);
        this.globalRope = Objects.requireNonNull(b.globalRope, "global rope");
        this.localRope = Objects.requireNonNull(b.localRope, "local rope");
        this.rmsNormEps = b.rmsNormEps;
        this.hiddenActivation = b.hiddenActivation;
        if (!hiddenActivation.equals("gelu_pytorch_tanh")) {
            throw new IllegalArgumentException("hidden_activation '" + hiddenActivation
                    + "' is not supported (Gemma 3 uses gelu_pytorch_tanh)");
        }
        this.attnLogitSoftcapping = b.attnLogitSoftcapping;
        this.finalLogitSoftcapping = b.finalLogitSoftcapping;
        this.tieWordEmbeddings = b.tieWordEmbeddings;
        this.maxPositionEmbeddings = b.maxPositionEmbeddings;
        this.bosTokenId = b.bosTokenId;
        this.padTokenId = b.padTokenId;
        this.eosTokenIds = List.copyOf(b.eosTokenIds);
        this.initializerRange = b.initializerRange;
    }

    private static int positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + value);
        }
        return value;
    }

    // ---------------------------------------------------------------- parsing

    /** Reads {@code config.json} of a model directory, or a config file itself. */
    public static Gemma3Config load(Path configJson) {
        Path file = Files.isDirectory(configJson) ? configJson.resolve("config.json") : configJson;
        try {
            return fromJson(JSON.readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static Gemma3Config fromJson(String json) {
        try {
            return fromJson(JSON.readTree(json), "config");
        } catch (IOException e) {
            throw new IllegalArgumentException("config is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * A named preset: {@code tiny} (a few layers of both kinds, for tests), {@code 270m}, {@code 1b}, {@code 4b}
     * (the published checkpoints' text configs). Anything else is read as a path to a config JSON.
     */
    public static Gemma3Config preset(String nameOrPath) {
        String key = nameOrPath.toLowerCase(Locale.ROOT);
        String resource = switch (key) {
            case "tiny" -> "tiny.json";
            case "270m", "gemma-3-270m" -> "gemma-3-270m.json";
            case "1b", "gemma-3-1b", "gemma-3-1b-it" -> "gemma-3-1b.json";
            case "4b", "gemma-3-4b", "gemma-3-4b-it" -> "gemma-3-4b.json";
            default -> null;
        };
        if (resource == null) {
            return load(Path.of(nameOrPath));
        }
        try (InputStream in = Gemma3Config.class.getResourceAsStream(resource)) {
            return fromJson(JSON.readTree(in), "preset " + key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Gemma3Config fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object");
        }
        JsonNode text = root;
        if (root.has("text_config")) {
            text = root.get("text_config");
            if (!text.isObject()) {
                throw new IllegalArgumentException(source + ": text_config must be an object");
            }
        }
        String modelType = text.path("model_type").asText("gemma3_text");
        if (!modelType.equals("gemma3_text") && !modelType.equals("gemma3")) {
            throw new IllegalArgumentException(source + ": model_type '" + modelType + "' is not a Gemma 3 text model");
        }
        Builder b = new Builder();
        b.vocabSize = intField(text, "vocab_size", 262_208);
        b.hiddenSize = intField(text, "hidden_size", 2304);
        b.intermediateSize = intField(text, "intermediate_size", 9216);
        b.numHiddenLayers = intField(text, "num_hidden_layers", 26);
        b.numAttentionHeads = intField(text, "num_attention_heads", 8);
        b.numKeyValueHeads = intField(text, "num_key_value_heads", b.numAttentionHeads);
        b.headDim = intField(text, "head_dim", 256);
        b.queryPreAttnScalar = doubleField(text, "query_pre_attn_scalar", 256);
        b.slidingWindow = intField(text, "sliding_window", 4096);
        b.slidingWindowPattern = intField(text, "sliding_window_pattern", 6);
        if (b.slidingWindowPattern <= 0) {
            throw new IllegalArgumentException(source + ": sliding_window_pattern must be > 0");
        }
        JsonNode layerTypes = text.get("layer_types");
        if (layerTypes != null && !layerTypes.isNull()) {
            if (!layerTypes.isArray()) {
                throw new IllegalArgumentException(source + ": layer_types must be an array");
            }
            b.layerTypes = new ArrayList<>();
            layerTypes.forEach(t -> b.layerTypes.add(t.asText()));
        }
        b.rmsNormEps = doubleField(text, "rms_norm_eps", 1e-6);
        b.hiddenActivation = text.path("hidden_activation").asText("gelu_pytorch_tanh");
        if (text.path("hidden_activation").isNull()) {
            b.hiddenActivation = text.path("hidden_act").asText("gelu_pytorch_tanh");
        }
        b.attnLogitSoftcapping = optionalDouble(text, "attn_logit_softcapping");
        b.finalLogitSoftcapping = optionalDouble(text, "final_logit_softcapping");
        JsonNode tie = text.has("tie_word_embeddings") ? text.get("tie_word_embeddings") : root.get("tie_word_embeddings");
        b.tieWordEmbeddings = tie == null || tie.isNull() || tie.asBoolean(true);
        b.maxPositionEmbeddings = intField(text, "max_position_embeddings", 131_072);
        b.bosTokenId = intField(text, "bos_token_id", 2);
        b.padTokenId = intField(text, "pad_token_id", 0);
        b.eosTokenIds = tokenIds(text.has("eos_token_id") ? text.get("eos_token_id") : root.get("eos_token_id"), 1);
        b.initializerRange = doubleField(text, "initializer_range", 0.02);
        readRope(text, b, source);
        try {
            return new Gemma3Config(b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static void readRope(JsonNode text, Builder b, String source) {
        JsonNode params = text.get("rope_parameters");
        if (params != null && params.isObject()) {
            // transformers 5.x: either {"full_attention": {...}, "sliding_attention": {...}} or one flat dict.
            if (params.has(FULL) || params.has(SLIDING)) {
                b.globalRope = rope(params.get(FULL), 1_000_000.0, source + ": rope_parameters." + FULL);
                b.localRope = rope(params.get(SLIDING), 10_000.0, source + ": rope_parameters." + SLIDING);
            } else {
                b.globalRope = rope(params, doubleField(text, "rope_theta", 1_000_000.0), source + ": rope_parameters");
                b.localRope = RopeParameters.plain(doubleField(text, "rope_local_base_freq", 10_000.0));
            }
            return;
        }
        double theta = doubleField(text, "rope_theta", 1_000_000.0);
        JsonNode scaling = text.get("rope_scaling");
        if (scaling == null || scaling.isNull()) {
            b.globalRope = RopeParameters.plain(theta);
        } else {
            String type = scaling.has("rope_type") ? scaling.get("rope_type").asText() : scaling.path("type").asText("default");
            double factor = scaling.path("factor").asDouble(1.0);
            try {
                b.globalRope = new RopeParameters(type, theta, factor);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": rope_scaling: " + e.getMessage(), e);
            }
        }
        b.localRope = RopeParameters.plain(doubleField(text, "rope_local_base_freq", 10_000.0));
    }

    private static RopeParameters rope(JsonNode node, double defaultTheta, String where) {
        if (node == null || node.isNull()) {
            return RopeParameters.plain(defaultTheta);
        }
        String type = node.has("rope_type") ? node.get("rope_type").asText() : node.path("type").asText("default");
        double theta = node.path("rope_theta").asDouble(defaultTheta);
        double factor = node.path("factor").asDouble(1.0);
        try {
            return new RopeParameters(type, theta, factor);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    static List<Integer> tokenIds(JsonNode node, int fallback) {
        List<Integer> ids = new ArrayList<>();
        if (node == null || node.isNull()) {
            ids.add(fallback);
        } else if (node.isArray()) {
            node.forEach(n -> ids.add(n.asInt()));
        } else {
            ids.add(node.asInt());
        }
        return ids;
    }

    private static int intField(JsonNode node, String field, int fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt()) {
            throw new IllegalArgumentException("field " + field + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    private static double doubleField(JsonNode node, String field, double fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("field " + field + " must be a number, got " + v);
        }
        return v.asDouble();
    }

    private static Double optionalDouble(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("field " + field + " must be a number or null, got " + v);
        }
        return v.asDouble();
    }

    /** A transformers-readable {@code config.json} (Gemma3ForCausalLM, 4.x and 5.x fields both written). */
    public ObjectNode toJson() {
        return toJson(StoredType.F32);
    }

    /**
     * {@code config.json} for weights stored as {@code weights}: transformers 5 refuses a non-integer
     * {@code query_pre_attn_scalar} (so an integral value is written as an integer) and reads
     * {@code torch_dtype}/{@code dtype} as the checkpoint's precision.
     */
    public ObjectNode toJson(StoredType weights) {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("Gemma3ForCausalLM");
        o.put("model_type", "gemma3_text");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("head_dim", headDim);
        if (queryPreAttnScalar == Math.rint(queryPreAttnScalar) && Math.abs(queryPreAttnScalar) < Integer.MAX_VALUE) {
            o.put("query_pre_attn_scalar", (int) queryPreAttnScalar);
        } else {
            o.put("query_pre_attn_scalar", queryPreAttnScalar);
        }
        o.put("sliding_window", slidingWindow);
        ArrayNode types = o.putArray("layer_types");
        layerTypes.forEach(types::add);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        ObjectNode rope = o.putObject("rope_parameters");
        writeRope(rope.putObject(FULL), globalRope);
        writeRope(rope.putObject(SLIDING), localRope);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("hidden_activation", hiddenActivation);
        putNullable(o, "attn_logit_softcapping", attnLogitSoftcapping);
        putNullable(o, "final_logit_softcapping", finalLogitSoftcapping);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("initializer_range", initializerRange);
        o.put("bos_token_id", bosTokenId);
        o.put("pad_token_id", padTokenId);
        ArrayNode eos = o.putArray("eos_token_id");
        eosTokenIds.forEach(eos::add);
        String dtype = weights == StoredType.BF16 ? "bfloat16" : "float32";
        o.put("torch_dtype", dtype);
        o.put("dtype", dtype);
        return o;
    }

    private static void writeRope(ObjectNode node, RopeParameters rope) {
        node.put("rope_type", rope.ropeType());
        node.put("rope_theta", rope.theta());
        if (rope.ropeType().equals("linear")) {
            node.put("factor", rope.factor());
        }
    }

    private static void putNullable(ObjectNode o, String field, Double value) {
        if (value == null) {
            o.putNull(field);
        } else {
            o.put(field, value);
        }
    }

    public void write(Path configJson) {
        write(configJson, StoredType.F32);
    }

    public void write(Path configJson, StoredType weights) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(configJson.toFile(), toJson(weights));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configJson, e);
        }
    }

    // ---------------------------------------------------------------- accessors

    public int vocabSize() { return vocabSize; }
    public int hiddenSize() { return hiddenSize; }
    public int intermediateSize() { return intermediateSize; }
    public int numHiddenLayers() { return numHiddenLayers; }
    public int numAttentionHeads() { return numAttentionHeads; }
    public int numKeyValueHeads() { return numKeyValueHeads; }
    public int headDim() { return headDim; }
    public double queryPreAttnScalar() { return queryPreAttnScalar; }
    public int slidingWindow() { return slidingWindow; }
    public List<String> layerTypes() { return layerTypes; }
    public boolean isSliding(int layer) { return layerTypes.get(layer).equals(SLIDING); }
    public RopeParameters globalRope() { return globalRope; }
    public RopeParameters localRope() { return localRope; }
    public double rmsNormEps() { return rmsNormEps; }
    public String hiddenActivation() { return hiddenActivation; }
    /** null when off. */
    public Double attnLogitSoftcapping() { return attnLogitSoftcapping; }
    /** null when off. */
    public Double finalLogitSoftcapping() { return finalLogitSoftcapping; }
    public boolean tieWordEmbeddings() { return tieWordEmbeddings; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    public int bosTokenId() { return bosTokenId; }
    public int padTokenId() { return padTokenId; }
    public List<Integer> eosTokenIds() { return eosTokenIds; }
    public double initializerRange() { return initializerRange; }

    /** Heads that share one key/value head. */
    public int queriesPerKeyValue() { return numAttentionHeads / numKeyValueHeads; }

    /** Parameter count (embeddings counted once when tied). */
    public long parameterCount() {
        long h = hiddenSize;
        long attn = h * headDim * (2L * numAttentionHeads + 2L * numKeyValueHeads) + 2L * headDim;
        long mlp = 3L * h * intermediateSize;
        long perLayer = attn + mlp + 4 * h;
        long embed = (long) vocabSize * h;
        return embed * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * perLayer + h;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.vocabSize = vocabSize;
        b.hiddenSize = hiddenSize;
        b.intermediateSize = intermediateSize;
        b.numHiddenLayers = numHiddenLayers;
        b.numAttentionHeads = numAttentionHeads;
        b.numKeyValueHeads = numKeyValueHeads;
        b.headDim = headDim;
        b.queryPreAttnScalar = queryPreAttnScalar;
        b.slidingWindow = slidingWindow;
        b.layerTypes = new ArrayList<>(layerTypes);
        b.globalRope = globalRope;
        b.localRope = localRope;
        b.rmsNormEps = rmsNormEps;
        b.hiddenActivation = hiddenActivation;
        b.attnLogitSoftcapping = attnLogitSoftcapping;
        b.finalLogitSoftcapping = finalLogitSoftcapping;
        b.tieWordEmbeddings = tieWordEmbeddings;
        b.maxPositionEmbeddings = maxPositionEmbeddings;
        b.bosTokenId = bosTokenId;
        b.padTokenId = padTokenId;
        b.eosTokenIds = new ArrayList<>(eosTokenIds);
        b.initializerRange = initializerRange;
        return b;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "Gemma3Config[layers=%d (%d sliding), hidden=%d, intermediate=%d, heads=%d/%d x %d, vocab=%d, window=%d,"
                        + " rope global=%s local=%s, params=%,d]",
                numHiddenLayers, Collections.frequency(layerTypes, SLIDING), hiddenSize, intermediateSize,
                numAttentionHeads, numKeyValueHeads, headDim, vocabSize, slidingWindow, globalRope, localRope,
                parameterCount());
    }

    /** Mutable field holder for making configs in code (tests, presets derived from others). */
    public static final class Builder {
        public int vocabSize = 262_144;
        public int hiddenSize = 640;
        public int intermediateSize = 2048;
        public int numHiddenLayers = 18;
        public int numAttentionHeads = 4;
        public int numKeyValueHeads = 1;
        public int headDim = 256;
        public double queryPreAttnScalar = 256;
        public int slidingWindow = 512;
        public int slidingWindowPattern = 6;
        public List<String> layerTypes;
        public RopeParameters globalRope = RopeParameters.plain(1_000_000.0);
        public RopeParameters localRope = RopeParameters.plain(10_000.0);
        public double rmsNormEps = 1e-6;
        public String hiddenActivation = "gelu_pytorch_tanh";
        public Double attnLogitSoftcapping;
        public Double finalLogitSoftcapping;
        public boolean tieWordEmbeddings = true;
        public int maxPositionEmbeddings = 32_768;
        public int bosTokenId = 2;
        public int padTokenId = 0;
        public List<Integer> eosTokenIds = new ArrayList<>(List.of(1, 106));
        public double initializerRange = 0.02;

        public Gemma3Config build() {
            return new Gemma3Config(this);
        }
    }
}
