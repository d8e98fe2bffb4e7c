package dev.tooltune.inference.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and checks a chat completion request body the way OpenAI does: unknown fields are ignored, a wrong value is
 * a 400 {@code invalid_request_error} whose {@code param} names where it is ({@code messages[2].tool_calls[0].id}).
 */
public final class ChatCompletionRequestParser {
    private static final Pattern FUNCTION_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    private final ToolSchemas schemas;
    private final int defaultMaxTokens;
    private final int maxTokensLimit;

    public ChatCompletionRequestParser(ToolSchemas schemas, int defaultMaxTokens, int maxTokensLimit) {
        this.schemas = schemas;
        this.defaultMaxTokens = defaultMaxTokens;
        this.maxTokensLimit = maxTokensLimit;
    }

    public ChatCompletionRequest parse(byte[] body) {
        JsonNode root;
        try {
            root = ChatJson.MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            String detail = e instanceof JsonProcessingException json && json.getLocation() != null
                    ? " (line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() + ")"
                    : "";
            throw ApiException.invalid(null, "The request body is not valid JSON" + detail + ": "
                    + (e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "The request body must be a JSON object.");
        }
        String model = requiredString(root, "model");
        List<ChatMessage> messages = messages(root.get("messages"));
        List<ToolDefinition> tools = tools(root.get("tools"));
        ToolChoice toolChoice = toolChoice(root.get("tool_choice"), tools);
        boolean parallel = bool(root, "parallel_tool_calls", true);
        double temperature = number(root, "temperature", 1.0, 0, 2);
        double topP = number(root, "top_p", 1.0, 0, 1);
        if (topP == 0) {
            throw ApiException.invalid("top_p", "top_p must be greater than 0.");
        }
        Integer maxTokens = integer(root, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = integer(root, "max_tokens");
        }
        String maxParam = root.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (maxTokens != null && (maxTokens < 1 || maxTokens > maxTokensLimit)) {
            throw ApiException.invalid(maxParam, maxParam + " must be between 1 and " + maxTokensLimit + ", got "
                    + maxTokens + ".");
        }
        Integer n = integer(root, "n");
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "Only n=1 is supported, got " + n + ".");
        }
        List<String> stop = stop(root.get("stop"));
        Long seed = null;
        JsonNode seedNode = root.get("seed");
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
                throw ApiException.invalid("seed", "seed must be an integer.");
            }
            seed = seedNode.asLong();
        }
        boolean stream = bool(root, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = root.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw ApiException.invalid("stream_options", "stream_options must be an object.");
            }
            if (!stream) {
                throw ApiException.invalid("stream_options", "stream_options is only allowed when stream is true.");
            }
            includeUsage = bool(streamOptions, "include_usage", false, "stream_options.include_usage");
        }
        ResponseFormat format = responseFormat(root.get("response_format"));
        return new ChatCompletionRequest(model, messages, tools, toolChoice, parallel, temperature, topP,
                maxTokens == null ? defaultMaxTokens : maxTokens, stop, seed, stream, includeUsage, format);
    }

    private List<ChatMessage> messages(JsonNode node) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array.");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode message = node.get(i);
            if (!message.isObject()) {
                throw ApiException.invalid(at, at + " must be an object.");
            }
            String role = requiredString(message, "role", at + ".role");
            String content = content(message.get("content"), at + ".content");
            String name = optionalString(message, "name", at + ".name");
            switch (role) {
                case "system", "developer" -> out.add(new ChatMessage(ChatMessage.SYSTEM, required(content, at), null, null, name, null));
                case "user" -> out.add(new ChatMessage(ChatMessage.USER, required(content, at), null, null, name, null));
                case "assistant" -> {
                    List<ToolCall> calls = toolCalls(message.get("tool_calls"), at + ".tool_calls");
                    if (content == null && calls.isEmpty()) {
                        throw ApiException.invalid(at + ".content",
                                "An assistant message needs 'content' or 'tool_calls'.");
                    }
                    out.add(new ChatMessage(ChatMessage.ASSISTANT, content, calls, null, name, null));
                }
                case "tool" -> {
                    String callId = requiredString(message, "tool_call_id", at + ".tool_call_id");
                    out.add(new ChatMessage(ChatMessage.TOOL, required(content, at), null, callId, name, null));
                }
                default -> throw ApiException.invalid(at + ".role", "Invalid value: '" + role
                        + "'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.");
            }
        }
        return out;
    }

    private static String required(String content, String at) {
        if (content == null) {
            throw ApiException.invalid(at + ".content", "Missing required parameter: '" + at + ".content'.");
        }
        return content;
    }

    /** A string, or an array of text parts joined (images and audio are not supported by this model). */
    private static String content(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isArray()) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < node.size(); i++) {
                JsonNode part = node.get(i);
                String type = part.path("type").asText("");
                if (!"text".equals(type) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(at + "[" + i + "]", "Only text content parts "
                            + "({\"type\": \"text\", \"text\": ...}) are supported; got type '" + type + "'.");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(at, at + " must be a string or an array of text parts.");
    }

    private static List<ToolCall> toolCalls(JsonNode node, String at) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.invalid(at, at + " must be an array.");
        }
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String here = at + "[" + i + "]";
            JsonNode call = node.get(i);
            String id = requiredString(call, "id", here + ".id");
            JsonNode function = call.get("function");
            if (function == null || !function.isObject()) {
                throw ApiException.invalid(here + ".function", "Missing required parameter: '" + here + ".function'.");
            }
            String name = requiredString(function, "name", here + ".function.name");
            String arguments = requiredString(function, "arguments", here + ".function.arguments");
            try {
                if (!ChatJson.MAPPER.readTree(arguments).isObject()) {
                    throw new IllegalArgumentException();
                }
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw ApiException.invalid(here + ".function.arguments", "'" + here
                        + ".function.arguments' must be a JSON object encoded as a string.");
            }
            calls.add(ToolCall.of(id, name, arguments));
        }
        return calls;
    }

    private List<ToolDefinition> tools(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.invalid("tools", "'tools' must be an array.");
        }
        List<ToolDefinition> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String at = "tools[" + i + "]";
            JsonNode tool = node.get(i);
            String type = tool.path("type").asText("");
            if (!"function".equals(type)) {
                throw ApiException.invalid(at + ".type", "Invalid value: '" + type + "'. Supported values are: 'function'.");
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                throw ApiException.invalid(at + ".function", "Missing required parameter: '" + at + ".function'.");
            }
            String name = requiredString(function, "name", at + ".function.name");
            if (!FUNCTION_NAME.matcher(name).matches()) {
                throw ApiException.invalid(at + ".function.name", "Invalid '" + at + ".function.name': '" + name
                        + "' must be 1 to 64 letters, digits, underscores or dashes.");
            }
            if (!names.add(name)) {
                throw ApiException.invalid(at + ".function.name", "Tool name '" + name + "' is declared twice.");
            }
            String description = optionalString(function, "description", at + ".function.description");
            JsonNode parameters = function.get("parameters");
            if (parameters == null || parameters.isNull()) {
                parameters = ChatJson.MAPPER.createObjectNode().put("type", "object");
            } else if (!parameters.isObject()) {
                throw ApiException.invalid(at + ".function.parameters", "'" + at
                        + ".function.parameters' must be a JSON Schema object.");
            }
            ToolSchemas.Compiled compiled = schemas.compile(parameters);
            if (compiled.problem() != null) {
                throw ApiException.invalid(at + ".function.parameters", "Invalid schema for function '" + name + "': "
                        + compiled.problem());
            }
            out.add(ToolDefinition.function(name, description, parameters));
        }
        return out;
    }

    private static ToolChoice toolChoice(JsonNode node, List<ToolDefinition> tools) {
        if (node == null || node.isNull()) {
            return tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO;
        }
        ToolChoice choice;
        if (node.isTextual()) {
            choice = switch (node.asText()) {
                case "none" -> ToolChoice.NONE;
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                default -> throw ApiException.invalid("tool_choice", "Invalid value: '" + node.asText()
                        + "'. Supported values are: 'none', 'auto', 'required' or a function object.");
            };
        } else if (node.isObject() && "function".equals(node.path("type").asText())
                && node.path("function").path("name").isTextual()) {
            String name = node.get("function").get("name").asText();
            if (tools.stream().noneMatch(t -> t.function().name().equals(name))) {
                throw ApiException.invalid("tool_choice", "Invalid value for 'tool_choice': no function named '"
                        + name + "' was specified in the 'tools' parameter.");
            }
            choice = new ToolChoice(ToolChoice.Mode.FUNCTION, name);
        } else {
            throw ApiException.invalid("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or "
                    + "{\"type\": \"function\", \"function\": {\"name\": ...}}.");
        }
        if (tools.isEmpty() && choice.mode() != ToolChoice.Mode.NONE) {
            throw ApiException.invalid("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed "
                    + "when 'tools' are specified.");
        }
        return choice;
    }

    private static List<String> stop(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray() && node.size() <= 4) {
            for (int i = 0; i < node.size(); i++) {
                if (!node.get(i).isTextual()) {
                    throw ApiException.invalid("stop[" + i + "]", "stop sequences must be strings.");
                }
                out.add(node.get(i).asText());
            }
        } else {
            throw ApiException.invalid("stop", "'stop' must be a string or an array of at most 4 strings.");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "stop sequences must not be empty.");
        }
        return out;
    }

    private static ResponseFormat responseFormat(JsonNode node) {
        if (node == null || node.isNull()) {
            return ResponseFormat.TEXT;
        }
        String type = node.path("type").asText("");
        return switch (type) {
            case "text" -> ResponseFormat.TEXT;
            case "json_object" -> new ResponseFormat(ResponseFormat.Type.JSON_OBJECT, null, null);
            case "json_schema" -> {
                JsonNode spec = node.get("json_schema");
                if (spec == null || !spec.isObject()) {
                    throw ApiException.invalid("response_format.json_schema",
                            "Missing required parameter: 'response_format.json_schema'.");
                }
                String name = requiredString(spec, "name", "response_format.json_schema.name");
                JsonNode schema = spec.get("schema");
                if (schema != null && !schema.isNull() && !schema.isObject()) {
                    throw ApiException.invalid("response_format.json_schema.schema",
                            "'response_format.json_schema.schema' must be a JSON Schema object.");
                }
                yield new ResponseFormat(ResponseFormat.Type.JSON_SCHEMA, name,
                        schema == null || schema.isNull() ? null : schema);
            }
            default -> throw ApiException.invalid("response_format.type", "Invalid value: '" + type
                    + "'. Supported values are: 'text', 'json_object' and 'json_schema'.");
        };
    }

    private static String requiredString(JsonNode node, String field) {
        return requiredString(node, field, field);
    }

    private static String requiredString(JsonNode node, String field, String param) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.invalid(param, "Missing required parameter: '" + param + "'.");
        }
        if (!value.isTextual()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected a string, but got "
                    + kind(value) + ".");
        }
        return value.asText();
    }

    private static String optionalString(JsonNode node, String field, String param) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected a string, but got "
                    + kind(value) + ".");
        }
        return value.asText();
    }

    private static boolean bool(JsonNode node, String field, boolean fallback) {
        return bool(node, field, fallback, field);
    }

    private static boolean bool(JsonNode node, String field, boolean fallback, String param) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw ApiException.invalid(param, "Invalid type for '" + param + "': expected a boolean, but got "
                    + kind(value) + ".");
        }
        return value.asBoolean();
    }

    private static double number(JsonNode node, String field, double fallback, double min, double max) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw ApiException.invalid(field, "Invalid type for '" + field + "': expected a number, but got "
                    + kind(value) + ".");
        }
        double number = value.asDouble();
        if (!(number >= min && number <= max)) {
            throw ApiException.invalid(field, "Invalid '" + field + "': " + number + " is not between " + min
                    + " and " + max + ".");
        }
        return number;
    }

    private static Integer integer(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw ApiException.invalid(field, "Invalid type for '" + field + "': expected an integer, but got "
                    + kind(value) + ".");
        }
        return value.asInt();
    }

    private static String kind(JsonNode value) {
        if (value.isTextual()) {
            return "a string";
        }
        if (value.isNumber()) {
            return "a number";
        }
        if (value.isBoolean()) {
            return "a boolean";
        }
        if (value.isArray()) {
            return "an array";
        }
        return value.isObject() ? "an object" : "null";
    }
}
