package dev.tooltune.chat;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A chat message as OpenAI defines it. {@code toolCalls} only on assistant messages, {@code toolCallId}
 * only on tool messages. {@code weight} (0 or 1) says whether an assistant turn is trained on; null means 1.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatMessage(
        String role,
        String content,
        @JsonProperty("tool_calls") List<ToolCall> toolCalls,
        @JsonProperty("tool_call_id") String toolCallId,
        String name,
        Double weight) {

    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
    public static final String TOOL = "tool";

    public ChatMessage {
        toolCalls = toolCalls == null || toolCalls.isEmpty() ? null : List.copyOf(toolCalls);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(SYSTEM, content, null, null, null, null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content, null, null, null, null);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content, null, null, null, null);
    }

    public static ChatMessage assistantCalls(List<ToolCall> calls) {
        return new ChatMessage(ASSISTANT, null, calls, null, null, null);
    }

    public static ChatMessage toolResult(String toolCallId, String content) {
        return new ChatMessage(TOOL, content, null, toolCallId, null, null);
    }

    @JsonIgnore
    public boolean hasToolCalls() {
        return toolCalls != null && !toolCalls.isEmpty();
    }

    /** Whether this assistant turn contributes to the loss (weight absent or non-zero). */
    @JsonIgnore
    public boolean trained() {
        return ASSISTANT.equals(role) && (weight == null || weight != 0.0);
    }
}
