package dev.tooltune.chat;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code {id, type: "function", function: {name, arguments}}}; {@code arguments} is a JSON string. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolCall(String id, String type, FunctionCall function) {

    public static final String FUNCTION = "function";

    public static ToolCall of(String id, String name, String argumentsJson) {
        return new ToolCall(id, FUNCTION, new FunctionCall(name, argumentsJson));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FunctionCall(String name, String arguments) {}
}
