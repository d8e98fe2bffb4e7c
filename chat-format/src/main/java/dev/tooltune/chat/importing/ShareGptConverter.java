package dev.tooltune.chat.importing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts ShareGPT / Hermes function-calling records to OpenAI chat form.
 *
 * <p>Such a record is {@code {"conversations": [{"from": "system"|"human"|"gpt"|"tool", "value": "..."}]}}.
 * The tools are a JSON list inside {@code <tools>...</tools>} in the system prompt (or a top-level {@code tools}
 * field, as a list or a JSON string); the assistant's calls are {@code <tool_call>{"name": ..., "arguments": ...}
 * </tool_call>} blocks in its text; tool results are {@code <tool_response>...</tool_response>} blocks. The
 * {@code <tools>} block is removed from the system prompt, since the chat format carries tools separately.
 * Call ids are generated; results answer the calls in order (or by name when the result names its tool),
 * which {@link ChatNormalizer} does.
 */
public final class ShareGptConverter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern TOOLS_BLOCK = Pattern.compile("<tools>(.*?)</tools>", Pattern.DOTALL);
    private static final Pattern TOOL_CALL_BLOCK = Pattern.compile("<tool_call>(.*?)</tool_call>", Pattern.DOTALL);
    private static final Pattern TOOL_RESPONSE_BLOCK = Pattern.compile("<tool_response>(.*?)</tool_response>", Pattern.DOTALL);

    private ShareGptConverter() {}

    /** Whether a parsed line looks like this format, for automatic detection. */
    public static boolean recognizes(JsonNode record) {
        return record.path("conversations").isArray();
    }

    public static ObjectNode toOpenAi(JsonNode record) throws ConversionException {
        JsonNode turns = record.get("conversations");
        if (turns == null || !turns.isArray()) {
            throw new ConversionException(ImportProblem.ROOT, "a ShareGPT record needs a \"conversations\" array");
        }
        List<ImportProblem> problems = new ArrayList<>();
        ArrayNode tools = NODES.arrayNode();
        if (record.has("tools") && !record.get("tools").isNull()) {
            addTools(record.get("tools"), "$.tools", tools, problems);
        }
        ArrayNode messages = NODES.arrayNode();
        for (int i = 0; i < turns.size(); i++) {
            String path = "$.conversations[" + i + "]";
            JsonNode turn = turns.get(i);
            JsonNode from = turn.has("from") ? turn.get("from") : turn.get("role");
            JsonNode value = turn.has("value") ? turn.get("value") : turn.get("content");
            if (from == null || !from.isTextual()) {
                problems.add(new ImportProblem(path + ".from", "each turn needs a \"from\" naming the speaker"));
                continue;
            }
            if (value == null || !value.isTextual()) {
                problems.add(new ImportProblem(path + ".value", "each turn needs a text \"value\""));
                continue;
            }
            String role = roleOf(from.asText());
            if (role == null) {
                problems.add(new ImportProblem(path + ".from", "unknown speaker \"" + from.asText()
                        + "\"; expected system, human, gpt or tool"));
                continue;
            }
            String text = value.asText();
            switch (role) {
                case ChatMessage.SYSTEM -> messages.add(systemMessage(text, path + ".value", tools, problems));
                case ChatMessage.ASSISTANT -> messages.add(assistantMessage(text, path + ".value", problems));
                case ChatMessage.TOOL -> addToolMessages(text, messages);
                default -> messages.add(message(ChatMessage.USER, text));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConversionException(problems);
        }
        ObjectNode example = NODES.objectNode();
        example.set("messages", messages);
        if (!tools.isEmpty()) {
            example.set("tools", tools);
        }
        return example;
    }

    private static String roleOf(String from) {
        return switch (from.toLowerCase(Locale.ROOT)) {
            case "system" -> ChatMessage.SYSTEM;
            case "human", "user" -> ChatMessage.USER;
            case "gpt", "assistant", "model", "function_call", "function-call" -> ChatMessage.ASSISTANT;
            case "tool", "function_response", "function-response", "observation", "ipython" -> ChatMessage.TOOL;
            default -> null;
        };
    }

    private static ObjectNode systemMessage(String text, String path, ArrayNode tools, List<ImportProblem> problems) {
        Matcher matcher = TOOLS_BLOCK.matcher(text);
        StringBuilder rest = new StringBuilder();
        int last = 0;
        while (matcher.find()) {
            addTools(NODES.textNode(matcher.group(1)), path + " <tools> block", tools, problems);
            rest.append(text, last, matcher.start());
            last = matcher.end();
        }
        rest.append(text.substring(last));
        return message(ChatMessage.SYSTEM, rest.toString().strip());
    }

    /** Tools arrive as a JSON list, one JSON object per line, or either of those inside a JSON string. */
    private static void addTools(JsonNode source, String path, ArrayNode tools, List<ImportProblem> problems) {
        if (source.isArray()) {
            source.forEach(tools::add);
            return;
        }
        if (source.isObject()) {
            tools.add(source);
            return;
        }
        if (!source.isTextual()) {
            problems.add(new ImportProblem(path, "tools must be a list of tool definitions"));
            return;
        }
        try (MappingIterator<JsonNode> values = ChatJson.MAPPER.readerFor(JsonNode.class)
                .readValues(source.asText())) {
            while (values.hasNext()) {
                JsonNode value = values.next();
                if (value.isArray()) {
                    value.forEach(tools::add);
                } else {
                    tools.add(value);
                }
            }
        } catch (IOException | RuntimeException e) {
            problems.add(new ImportProblem(path, "the tool list is not valid JSON: " + jsonReason(e)));
        }
    }

    private static ObjectNode assistantMessage(String text, String path, List<ImportProblem> problems) {
        Matcher matcher = TOOL_CALL_BLOCK.matcher(text);
        ArrayNode calls = NODES.arrayNode();
        StringBuilder content = new StringBuilder();
        int last = 0;
        int block = 0;
        while (matcher.find()) {
            block++;
            content.append(text, last, matcher.start());
            last = matcher.end();
            try {
                JsonNode call = ChatJson.MAPPER.readTree(matcher.group(1).strip());
                if (call == null || !call.isObject() || !call.path("name").isTextual()) {
                    problems.add(new ImportProblem(path, "<tool_call> block " + block
                            + " must be a JSON object with a \"name\" and \"arguments\""));
                    continue;
                }
                ObjectNode function = NODES.objectNode();
                function.set("name", call.get("name"));
                JsonNode arguments = call.get("arguments");
                if (arguments != null) {
                    function.set("arguments", arguments);
                }
                calls.add(NODES.objectNode().set("function", function));
            } catch (JsonProcessingException e) {
                problems.add(new ImportProblem(path, "<tool_call> block " + block + " is not valid JSON: " + jsonReason(e)));
            }
        }
        content.append(text.substring(last));
        ObjectNode message = NODES.objectNode();
        message.put("role", ChatMessage.ASSISTANT);
        String remaining = content.toString().strip();
        if (!remaining.isEmpty() || calls.isEmpty()) {
            message.put("content", remaining);
        }
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
        return message;
    }

    /** One tool message per {@code <tool_response>} block; a value without blocks is one result. */
    private static void addToolMessages(String text, ArrayNode messages) {
        Matcher matcher = TOOL_RESPONSE_BLOCK.matcher(text);
        boolean any = false;
        while (matcher.find()) {
            any = true;
            String result = matcher.group(1).strip();
            ObjectNode message = message(ChatMessage.TOOL, result);
            String name = toolNameIn(result);
            if (name != null) {
                message.put("name", name);
            }
            messages.add(message);
        }
        if (!any) {
            ObjectNode message = message(ChatMessage.TOOL, text.strip());
            String name = toolNameIn(text);
            if (name != null) {
                message.put("name", name);
            }
            messages.add(message);
        }
    }

    /** Hermes results are often {@code {"name": tool, "content": ...}}; the name lets us match the call. */
    private static String toolNameIn(String result) {
        try {
            JsonNode parsed = ChatJson.MAPPER.readTree(result);
            return parsed != null && parsed.path("name").isTextual() ? parsed.get("name").asText() : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static ObjectNode message(String role, String content) {
        ObjectNode message = NODES.objectNode();
        message.put("role", role);
        message.put("content", content);
        return message;
    }

    static String jsonReason(Exception e) {
        if (e instanceof JsonProcessingException json) {
            String where = json.getLocation() == null ? ""
                    : " (line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() + ")";
            return json.getOriginalMessage() + where;
        }
        return String.valueOf(e.getMessage());
    }

}
