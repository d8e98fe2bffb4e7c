package dev.tooltune.chat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/** {@code {type: "function", function: {name, description, parameters}}}; parameters is a JSON Schema. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolDefinition(String type, Function function) {

    public static ToolDefinition function(String name, String description, JsonNode parameters) {
        return new ToolDefinition(ToolCall.FUNCTION, new Function(name, description, parameters));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Function(String name, String description, JsonNode parameters) {}
}
