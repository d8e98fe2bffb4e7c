package dev.tooltune.dataset.example;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import java.util.List;

/**
 * One example of a version: where it is, whether it is valid (and if not, why), its metadata (the top-level keys
 * of its line outside the chat format; null when there were none) and the example itself, as export writes it.
 */
public record ExampleView(long id, int position, boolean valid, JsonNode problems, List<String> calledTools,
                          int messageCount, Long sourceLine, Integer tokenCount, JsonNode metadata, JsonNode example) {

    public static ExampleView of(Object[] row) {
        return new ExampleView(
                ((Number) row[0]).longValue(),
                ((Number) row[1]).intValue(),
                (Boolean) row[3],
                row[4] == null ? null : json(row[4].toString()),
                names(row[5].toString()),
                ((Number) row[6]).intValue(),
                row[7] == null ? null : ((Number) row[7]).longValue(),
                row[8] == null ? null : ((Number) row[8]).intValue(),
                row[9] == null ? null : json(row[9].toString()),
                json((String) row[2]));
    }

    /** The columns {@link #of(Object[])} expects, for native queries joining version_example ve and example e. */
    public static final String COLUMNS = "e.id, ve.position, e.body, e.valid, cast(e.problems as text), "
            + "cast(e.called_tools as text), e.message_count, e.source_line, e.token_count, cast(e.metadata as text)";

    private static JsonNode json(String text) {
        try {
            return ChatJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }

    private static List<String> names(String json) {
        List<String> names = new java.util.ArrayList<>();
        json(json).forEach(node -> names.add(node.asText()));
        return names;
    }
}
