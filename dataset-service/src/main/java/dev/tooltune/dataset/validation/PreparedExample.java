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

    public static PreparedExample fromJsonText(String text, ImportFormat format, ExampleValidator validator) {
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
