package dev.tooltune.dataset.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.importing.ConversionException;
import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.chat.importing.ImportProblem;
import dev.tooltune.chat.importing.ShareGptConverter;
import dev.tooltune.chat.importing.XlamConverter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One example made ready for storage: converted from its source format, normalised to canonical JSON,
 * validated, hashed, and summarised for queries. {@code body} is null when the input could not be turned into
 * an example at all (bad JSON, unknown shape): such input can only be reported, never stored.
 *
 * <p>{@code body} is what export writes: the canonical chat JSON followed by the line's metadata, its top-level
 * keys that the format does not use (an {@code id}, a category, a reference answer), in their order.
 * {@code metadata} is that part alone (null when there is none); {@code contentHash} covers the chat part only,
 * so two lines that differ only in their ids are duplicates. {@code warnings} never make an example invalid.
 */
public record PreparedExample(
        String body,
        byte[] contentHash,
        String calledTools,
        int messageCount,
        int callCount,
        String metadata,
        List<ImportProblem> problems,
        List<ImportProblem> warnings) {

    /** The top-level keys each format reads; every other key of a line is metadata. */
    private static final Map<ImportFormat, Set<String>> FORMAT_KEYS = Map.of(
            ImportFormat.OPENAI, Set.of("messages", "tools", "functions", "parallel_tool_calls"),
            ImportFormat.SHAREGPT, Set.of("conversations", "tools"),
            ImportFormat.XLAM, Set.of("query", "tools", "answers"));

    public boolean valid() {
        return body != null && problems.isEmpty();
    }

    public boolean storable() {
        return body != null;
    }

    /**
     * Never throws: anything that goes wrong while preparing the text (including a stack overflow on absurdly
     * nested input) becomes its problem, so one line can never fail a whole import.
     */
    public static PreparedExample fromJsonText(String text, LineRules rules, ExampleValidator validator) {
        try {
            return prepare(text, rules, validator);
        } catch (RuntimeException | StackOverflowError e) {
            String kind = e instanceof StackOverflowError ? "it is nested too deeply" : e.getClass().getSimpleName();
            return unusable(new ImportProblem(ImportProblem.ROOT, "the example could not be prepared: " + kind));
        }
    }

    private static PreparedExample prepare(String text, LineRules rules, ExampleValidator validator) {
        JsonNode record;
        try {
            record = LineJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null || e.getLocation().getColumnNr() < 1 ? "" : " (column " + e.getLocation().getColumnNr() + ")";
            return unusable(new ImportProblem(ImportProblem.ROOT, "not valid JSON: " + LineJson.describe(e) + where));
        }
        if (record == null) {
            return unusable(new ImportProblem(ImportProblem.ROOT, "no JSON value"));
        }
        return fromRecord(record, rules, validator);
    }

    public static PreparedExample fromRecord(JsonNode record, LineRules rules, ExampleValidator validator) {
        String unrepresentable = firstNonFiniteNumber(record);
        if (unrepresentable != null) {
            return unusable(new ImportProblem(unrepresentable, "holds a number too large to store exactly"));
        }
        ObjectNode canonical;
        try {
            canonical = rules.format().toCanonical(record);
        } catch (ConversionException e) {
            return new PreparedExample(null, null, null, 0, 0, null, e.problems(), List.of());
        }
        ObjectNode metadata = metadataOf(record, rules.format());
        String metadataJson = metadata == null ? null : metadata.toString();
        if (metadataJson != null && metadataJson.length() > validator.limits().maxMetadataBytes() / 4
                && metadataJson.getBytes(StandardCharsets.UTF_8).length > validator.limits().maxMetadataBytes()) {
            // never stored, not even flagged invalid: the limit is what keeps rows small
            return unusable(new ImportProblem(ImportProblem.ROOT, "the metadata (top-level keys " + keys(metadata)
                    + ") is " + metadataJson.getBytes(StandardCharsets.UTF_8).length + " bytes; the limit is "
                    + validator.limits().maxMetadataBytes() + " bytes"));
        }
        ExampleValidator.Findings findings = validator.check(canonical, rules);
        List<ImportProblem> problems = findings.errors();
        String chat = canonical.toString();
        String body = chat;
        if (metadata != null) {
            ObjectNode exported = JsonNodeFactory.instance.objectNode();
            exported.setAll(canonical);
            exported.setAll(metadata);
            body = exported.toString();
        }
        int surrogate = loneSurrogate(body);
        if (surrogate >= 0) {
            // never stored, not even flagged invalid: PostgreSQL would silently turn the surrogate into '?'
            problems = new ArrayList<>(problems);
            problems.add(new ImportProblem(ImportProblem.ROOT, String.format("contains a lone UTF-16 surrogate (U+%04X), "
                    + "which is not a character and cannot be stored as UTF-8; fix the line's escapes", (int) body.charAt(surrogate))));
            return new PreparedExample(null, null, null, 0, 0, null, problems, findings.warnings());
        }
        ArrayNode called = JsonNodeFactory.instance.arrayNode();
        JsonNode messages = canonical.path("messages");
        for (JsonNode message : messages) {
            for (JsonNode call : message.path("tool_calls")) {
                JsonNode name = call.path("function").path("name");
                if (name.isTextual()) {
                    called.add(name.asText());
                }
            }
        }
        return new PreparedExample(body, sha256(chat), called.toString(), messages.size(), called.size(), metadataJson,
                problems, findings.warnings());
    }

    /** The record's top-level keys that its format does not read, in their order; null when there are none. */
    static ObjectNode metadataOf(JsonNode record, ImportFormat format) {
        if (!record.isObject()) {
            return null;
        }
        if (format == ImportFormat.AUTO) {
            format = ShareGptConverter.recognizes(record) ? ImportFormat.SHAREGPT
                    : XlamConverter.recognizes(record) ? ImportFormat.XLAM : ImportFormat.OPENAI;
        }
        Set<String> read = FORMAT_KEYS.get(format);
        ObjectNode metadata = null;
        for (Iterator<Map.Entry<String, JsonNode>> fields = record.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!read.contains(field.getKey())) {
                if (metadata == null) {
                    metadata = JsonNodeFactory.instance.objectNode();
                }
                metadata.set(field.getKey(), field.getValue());
            }
        }
        return metadata;
    }

    private static String keys(ObjectNode metadata) {
        List<String> names = new ArrayList<>();
        metadata.fieldNames().forEachRemaining(names::add);
        String joined = String.join(", ", names);
        return joined.length() <= 80 ? joined : joined.substring(0, 77) + "...";
    }

    /**
     * JSON path of the first number too large for a double (1e999 parses as infinity, and would be written back as
     * the text "Infinity"), or null. Iterative: the tree may be deep.
     */
    static String firstNonFiniteNumber(JsonNode root) {
        Deque<JsonNode> nodes = new ArrayDeque<>();
        Deque<String> paths = new ArrayDeque<>();
        nodes.push(root);
        paths.push(ImportProblem.ROOT);
        while (!nodes.isEmpty()) {
            JsonNode node = nodes.pop();
            String path = paths.pop();
            if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
                return path;
            }
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    nodes.push(node.get(i));
                    paths.push(path + "[" + i + "]");
                }
            } else if (node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    if (field.getValue().isContainerNode() || field.getValue().isFloatingPointNumber()) {
                        nodes.push(field.getValue());
                        paths.push(path + SchemaTypes.member(field.getKey()));
                    }
                }
            }
        }
        return null;
    }

    /** Index of the first surrogate without its partner, or -1. */
    static int loneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static PreparedExample unusable(ImportProblem problem) {
        return new PreparedExample(null, null, null, 0, 0, null, List.of(problem), List.of());
    }

    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
