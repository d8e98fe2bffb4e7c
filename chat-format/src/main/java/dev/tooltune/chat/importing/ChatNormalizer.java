package dev.tooltune.chat.importing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * Turns the looser chat form found in guides and hand-made datasets into OpenAI's canonical fine-tuning form:
 * tool calls get an {@code id} and {@code type: "function"}, object-valued {@code arguments} become JSON strings,
 * bare {@code {name, description, parameters}} tools are wrapped as {@code {type: "function", function: ...}},
 * a tool message without {@code tool_call_id} answers the oldest unanswered call, text content parts are joined,
 * and the legacy {@code functions} / {@code function_call} / {@code role: "function"} fields are mapped.
 *
 * <p>It repairs only what has one obvious meaning; anything else (a missing role, a number where text belongs)
 * is copied unchanged so that validation can point at it. Fields outside the chat format are dropped, and the
 * output's field order is the canonical one, so equal examples serialize to equal bytes.
 */
public final class ChatNormalizer {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ChatNormalizer() {}

    public static ObjectNode normalize(JsonNode example) {
        ObjectNode out = NODES.objectNode();
        if (!example.isObject()) {
            return out;
        }
        JsonNode messages = example.get("messages");
        if (messages != null) {
            out.set("messages", messages.isArray() ? normalizeMessages((ArrayNode) messages) : messages);
        }
        JsonNode tools = example.has("tools") ? example.get("tools") : example.get("functions");
        if (tools != null && !tools.isNull()) {
            out.set("tools", tools.isArray() ? normalizeTools((ArrayNode) tools) : tools);
        }
        JsonNode parallel = example.get("parallel_tool_calls");
        if (parallel != null && !parallel.isNull()) {
            out.set("parallel_tool_calls", parallel);
        }
        return out;
    }

    private static ArrayNode normalizeTools(ArrayNode tools) {
        ArrayNode out = NODES.arrayNode();
        for (JsonNode tool : tools) {
            if (!tool.isObject()) {
                out.add(tool);
                continue;
            }
            JsonNode function = tool.get("function");
            if (function == null && tool.has("name")) {
                function = tool;
            }
            ObjectNode wrapped = NODES.objectNode();
            wrapped.set("type", tool.has("type") && tool.get("function") != null ? tool.get("type") : NODES.textNode(ToolCall.FUNCTION));
            if (function != null && function.isObject()) {
                ObjectNode fn = NODES.objectNode();
                copyIfPresent(function, fn, "name");
                copyIfPresent(function, fn, "description");
                copyIfPresent(function, fn, "parameters");
                copyIfPresent(function, fn, "strict");
                wrapped.set("function", fn);
            } else if (function != null) {
                wrapped.set("function", function);
            }
            out.add(wrapped);
        }
        return out;
    }

    private static ArrayNode normalizeMessages(ArrayNode messages) {
        Set<String> takenIds = new HashSet<>();
        for (JsonNode message : messages) {
            JsonNode calls = message.path("tool_calls");
            for (JsonNode call : calls) {
                if (call.path("id").isTextual()) {
                    takenIds.add(call.get("id").asText());
                }
            }
        }
        Deque<PendingCall> unanswered = new ArrayDeque<>();
        ArrayNode out = NODES.arrayNode();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                out.add(message);
                continue;
            }
            ObjectNode normalized = NODES.objectNode();
            JsonNode role = message.get("role");
            if (role != null && role.isTextual() && role.asText().equals("function")) {
                role = NODES.textNode(ChatMessage.TOOL);
            }
            if (role != null) {
                normalized.set("role", role);
            }
            String roleText = role != null && role.isTextual() ? role.asText() : "";
            JsonNode content = normalizeContent(message.get("content"), roleText);
            ArrayNode calls = ChatMessage.ASSISTANT.equals(roleText) ? normalizeCalls(message, i, takenIds) : null;
            // An assistant turn's "content": "" beside its tool calls is kept as given (#21 item 6): the round trip
            // returns what was imported, and the prompt renders it exactly as an absent content.
            if (content != null) {
                normalized.set("content", content);
            }
            if (calls != null) {
                normalized.set("tool_calls", calls);
                unanswered.clear();
                for (JsonNode call : calls) {
                    unanswered.add(new PendingCall(call.path("id").asText(null), call.path("function").path("name").asText(null)));
                }
            } else if (message.has("tool_calls")) {
                normalized.set("tool_calls", message.get("tool_calls"));
            }
            if (ChatMessage.TOOL.equals(roleText)) {
                JsonNode callId = message.get("tool_call_id");
                String name = message.path("name").asText(null);
                if (callId == null || callId.isNull() || (callId.isTextual() && callId.asText().isEmpty())) {
                    PendingCall answered = takeUnanswered(unanswered, name);
                    if (answered != null && answered.id() != null) {
                        normalized.put("tool_call_id", answered.id());
                    }
                } else {
                    normalized.set("tool_call_id", callId);
                    if (callId.isTextual()) {
                        unanswered.removeIf(pending -> callId.asText().equals(pending.id()));
                    }
                }
            } else if (message.has("tool_call_id")) {
                normalized.set("tool_call_id", message.get("tool_call_id"));
            }
            copyIfPresent(message, normalized, "name");
            copyIfPresent(message, normalized, "weight");
            out.add(normalized);
        }
        return out;
    }

    private record PendingCall(String id, String name) {}

    private static PendingCall takeUnanswered(Deque<PendingCall> unanswered, String name) {
        if (name != null) {
            for (Iterator<PendingCall> it = unanswered.iterator(); it.hasNext(); ) {
                PendingCall pending = it.next();
                if (name.equals(pending.name())) {
                    it.remove();
                    return pending;
                }
            }
        }
        return unanswered.pollFirst();
    }

    /** Returns null when the message has no calls at all. */
    private static ArrayNode normalizeCalls(JsonNode message, int messageIndex, Set<String> takenIds) {
        JsonNode calls = message.get("tool_calls");
        if ((calls == null || calls.isNull() || (calls.isArray() && calls.isEmpty())) && message.path("function_call").isObject()) {
            calls = NODES.arrayNode().add(message.get("function_call"));
        }
        if (calls == null || calls.isNull() || !calls.isArray() || calls.isEmpty()) {
            return null;
        }
        ArrayNode out = NODES.arrayNode();
        for (int j = 0; j < calls.size(); j++) {
            JsonNode call = calls.get(j);
            if (!call.isObject()) {
                out.add(call);
                continue;
            }
            JsonNode function = call.get("function");
            if (function == null && call.has("name")) {
                function = call;
            }
            ObjectNode normalized = NODES.objectNode();
            JsonNode id = call.get("id");
            if (id == null || id.isNull() || (id.isTextual() && id.asText().isEmpty())) {
                String generated = "call_" + messageIndex + "_" + j;
                while (!takenIds.add(generated)) {
                    generated = generated + "x";
                }
                normalized.put("id", generated);
            } else {
                normalized.set("id", id);
            }
            JsonNode type = call.get("type");
            normalized.set("type", type == null || type.isNull() ? NODES.textNode(ToolCall.FUNCTION) : type);
            if (function != null && function.isObject()) {
                ObjectNode fn = NODES.objectNode();
                copyIfPresent(function, fn, "name");
                JsonNode arguments = function.get("arguments");
                if (arguments == null || arguments.isNull()) {
                    fn.put("arguments", "{}");
                } else if (arguments.isContainerNode()) {
                    fn.put("arguments", arguments.toString());
                } else {
                    fn.set("arguments", arguments);
                }
                normalized.set("function", fn);
            } else if (function != null) {
                normalized.set("function", function);
            }
            out.add(normalized);
        }
        return out;
    }

    private static JsonNode normalizeContent(JsonNode content, String role) {
        if (content == null || content.isNull()) {
            return null;
        }
        if (content.isArray() && allTextParts(content)) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                text.append(part.get("text").asText());
            }
            return NODES.textNode(text.toString());
        }
        if (ChatMessage.TOOL.equals(role) && (content.isContainerNode() || content.isNumber() || content.isBoolean())) {
            // Hand-made datasets often put the tool's JSON result in place; the format wants it as text.
            return NODES.textNode(content.toString());
        }
        return content;
    }

    private static boolean allTextParts(JsonNode parts) {
        for (JsonNode part : parts) {
            if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static void copyIfPresent(JsonNode from, ObjectNode to, String field) {
        JsonNode value = from.get(field);
        if (value != null && !value.isNull()) {
            to.set(field, value);
        }
    }
}
