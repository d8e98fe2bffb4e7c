package dev.tooltune.grammar.check;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.ValidationMessage;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.chat.toolcall.InvalidToolCall;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.grammar.ToolChoice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The check after generation: full JSON Schema validation with the shared validator ({@link ToolSchemas}), for what
 * the grammar does not enforce while generating ({@code pattern}, {@code format}, {@code multipleOf}, ...), and the
 * rules of the mode. An empty list means valid; nothing with a problem should be returned to a client as valid.
 */
public final class OutputCheck {
    private final ToolSchemas schemas = new ToolSchemas();

    /** Problems of a parsed answer under {@code tools} and {@code choice}, each naming the call and the field. */
    public List<String> toolCalls(ParsedAssistantMessage message, List<ToolDefinition> tools, ToolChoice choice,
                                  boolean parallelToolCalls) {
        List<String> problems = new ArrayList<>();
        for (InvalidToolCall invalid : message.invalidToolCalls()) {
            problems.add("call block " + invalid.index() + ": " + invalid.reason());
        }
        if (message.unterminatedBlock()) {
            problems.add("the last call block is not closed (generation was cut off)");
        }
        List<ToolCall> calls = message.toolCalls();
        if (choice instanceof ToolChoice.None && !calls.isEmpty()) {
            problems.add("tool_choice is none but the answer calls " + calls.size() + " tool(s)");
        }
        if ((choice instanceof ToolChoice.Required || choice instanceof ToolChoice.Named) && calls.isEmpty()) {
            problems.add("tool_choice requires a call but the answer has none");
        }
        if (choice instanceof ToolChoice.Named named) {
            calls.stream().filter(c -> !named.name().equals(c.function().name())).findFirst().ifPresent(c ->
                    problems.add("tool_choice names \"" + named.name() + "\" but the answer calls \"" + c.function().name() + "\""));
        }
        if ((!parallelToolCalls || choice instanceof ToolChoice.Named) && calls.size() > 1) {
            problems.add("one call allowed, the answer has " + calls.size());
        }
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            String name = call.function().name();
            ToolDefinition tool = tools.stream().filter(t -> name.equals(t.function().name())).findFirst().orElse(null);
            if (tool == null) {
                problems.add("call " + i + ": tool \"" + name + "\" is not declared");
                continue;
            }
            JsonNode arguments;
            try {
                arguments = ChatJson.MAPPER.readTree(call.function().arguments());
            } catch (JsonProcessingException e) {
                problems.add("call " + i + " (" + name + "): arguments are not JSON: " + e.getOriginalMessage());
                continue;
            }
            JsonNode schema = tool.function().parameters() == null
                    ? ChatJson.MAPPER.createObjectNode().put("type", "object") : tool.function().parameters();
            for (String problem : validate(arguments, schema)) {
                problems.add("call " + i + " (" + name + "): " + problem);
            }
        }
        return problems;
    }

    /** Problems of a JSON answer ({@code response_format}) against {@code schema}. */
    public List<String> json(String text, JsonNode schema) {
        JsonNode value;
        try {
            value = ChatJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return List.of("not JSON: " + e.getOriginalMessage());
        }
        if (value == null || value.isMissingNode()) {
            return List.of("not JSON: empty");
        }
        return validate(value, schema);
    }

    /** Schema violations of {@code value}, each with its JSON path. */
    public List<String> validate(JsonNode value, JsonNode schema) {
        ToolSchemas.Compiled compiled = schemas.compile(schema);
        if (compiled.schema() == null) {
            return List.of("schema not usable: " + compiled.problem());
        }
        Set<ValidationMessage> messages = compiled.schema().validate(value);
        return messages.stream().sorted(Comparator.comparing(ValidationMessage::getMessage))
                .map(ValidationMessage::getMessage).toList();
    }
}
