package dev.tooltune.dataset.validation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ConversionException;
import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.chat.importing.ImportProblem;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * One example made ready for storage: converted from its source format, normalised to canonical JSON,
 * validated, hashed, and summarised for queries. {@code body} is null when the input could not be turned into
 * an example at all (bad JSON, unknown shape): such input can only be reported, never stored.
 */
public record PreparedExample(
        String body,
        byte[] contentHash,
        String calledTools,
        int messageCount,
        int callCount,
        List<ImportProblem> problems) {

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
    public static PreparedExample fromJsonText(String text, ImportFormat format, ExampleValidator validator) {
        try {
            return prepare(text, format, validator);
        } catch (RuntimeException | StackOverflowError e) {
            String kind = e instanceof StackOverflowError ? "it is nested too deeply" : e.getClass().getSimpleName();
            return unusable(new ImportProblem(ImportProblem.ROOT, "the example could not be prepared: " + kind));
        }
    }

    private static PreparedExample prepare(String text, ImportFormat format, ExampleValidator validator) {
        JsonNode record;
        try {
            record = ChatJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")";
            return unusable(new ImportProblem(ImportProblem.ROOT, "not valid JSON: " + e.getOriginalMessage() + where));
        }
        if (record == null) {
            return unusable(new ImportProblem(ImportProblem.ROOT, "no JSON value"));
        }
        return fromRecord(record, format, validator);
    }

    public static PreparedExample fromRecord(JsonNode record, ImportFormat format, ExampleValidator validator) {
        ObjectNode canonical;
        try {
            canonical = format.toCanonical(record);
        } catch (ConversionException e) {
            return new PreparedExample(null, null, null, 0, 0, e.problems());
        }
        List<ImportProblem> problems = validator.validate(canonical);
        String body = canonical.toString();
        int surrogate = loneSurrogate(body);
        if (surrogate >= 0) {
            // never stored, not even flagged invalid: PostgreSQL would silently turn the surrogate into '?'
            problems = new java.util.ArrayList<>(problems);
            problems.add(new ImportProblem(ImportProblem.ROOT, String.format("contains a lone UTF-16 surrogate (U+%04X), "
                    + "which is not a character and cannot be stored as UTF-8; fix the line's escapes", (int) body.charAt(surrogate))));
            return new PreparedExample(null, null, null, 0, 0, problems);
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
        return new PreparedExample(body, sha256(body), called.toString(), messages.size(), called.size(), problems);
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
        return new PreparedExample(null, null, null, 0, 0, List.of(problem));
    }

    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
