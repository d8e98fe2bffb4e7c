package dev.tooltune.inference.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.ValidationMessage;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.chat.toolcall.InvalidToolCall;
import dev.tooltune.inference.api.ResponseFormat;
import dev.tooltune.inference.api.ToolChoice;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The check after generation: every returned tool call names a declared tool (the named one when tool_choice names
 * one), has arguments that are a JSON object, and validates against the tool's full JSON Schema, including what
 * cannot be enforced token by token ({@code pattern}, {@code format}). A call that fails is moved out of the answer
 * into the reported problems: nothing invalid is returned as a valid call.
 */
public final class ToolCallChecker {

    /** The calls that passed and the problems found (parser-level ones included). */
    public record Checked(List<ToolCall> valid, List<InvalidToolCall> problems) {}

    private final ToolSchemas schemas;

    public ToolCallChecker(ToolSchemas schemas) {
        this.schemas = schemas;
    }

    public Checked check(List<ToolCall> calls, List<InvalidToolCall> unparsed, List<ToolDefinition> tools,
            ToolChoice choice, boolean parallelToolCalls) {
        List<ToolCall> valid = new ArrayList<>();
        List<InvalidToolCall> problems = new ArrayList<>(unparsed);
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            String problem = problem(call, tools, choice);
            if (problem == null && !parallelToolCalls && !valid.isEmpty()) {
                problem = "parallel_tool_calls is false and a call was already made";
            }
            if (problem == null) {
                valid.add(call);
            } else {
                problems.add(new InvalidToolCall(i, ChatJson.MAPPER.valueToTree(call).toString(), problem));
            }
        }
        return new Checked(valid, problems);
    }

    private String problem(ToolCall call, List<ToolDefinition> tools, ToolChoice choice) {
        String name = call.function().name();
        ToolDefinition tool = tools.stream().filter(t -> t.function().name().equals(name)).findFirst().orElse(null);
        if (tool == null) {
            return "calls '" + name + "', which is not a declared tool";
        }
        if (choice.mode() == ToolChoice.Mode.FUNCTION && !choice.function().equals(name)) {
            return "tool_choice requires '" + choice.function() + "', but the call is to '" + name + "'";
        }
        JsonNode arguments;
        try {
            arguments = ChatJson.MAPPER.readTree(call.function().arguments());
        } catch (java.io.IOException e) {
            return "arguments are not JSON: " + e.getMessage();
        }
        if (arguments == null || !arguments.isObject()) {
            return "arguments are not a JSON object";
        }
        return schemaProblem(tool.function().parameters(), arguments);
    }

    /** The first violation of {@code schema} by {@code value}, or null when it validates (or there is no schema). */
    public String schemaProblem(JsonNode schema, JsonNode value) {
        if (schema == null) {
            return null;
        }
        ToolSchemas.Compiled compiled = schemas.compile(schema);
        if (compiled.schema() == null) {
            return "schema unusable: " + compiled.problem();
        }
        Set<ValidationMessage> messages = compiled.schema().validate(value);
        return messages.isEmpty() ? null : messages.iterator().next().getMessage();
    }

    /** For response_format: null when {@code content} is what the format asks for, else why not. */
    public String responseFormatProblem(ResponseFormat format, String content) {
        if (!format.json()) {
            return null;
        }
        JsonNode value;
        try {
            value = ChatJson.MAPPER.readTree(content == null ? "" : content);
        } catch (java.io.IOException e) {
            return "content is not JSON: " + e.getMessage();
        }
        if (value == null || value.isMissingNode()) {
            return "content is empty, not JSON";
        }
        if (format.type() == ResponseFormat.Type.JSON_OBJECT && !value.isObject()) {
            return "content is not a JSON object";
        }
        return format.schema() == null ? null : schemaProblem(format.schema(), value);
    }
}
