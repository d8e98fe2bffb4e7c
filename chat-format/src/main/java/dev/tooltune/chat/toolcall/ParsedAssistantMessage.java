package dev.tooltune.chat.toolcall;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import java.util.List;

/**
 * What a model's output means in OpenAI terms: plain {@code content} (empty when there is none) and the
 * {@code toolCalls} whose blocks were valid, plus the blocks that were not.
 *
 * @param unterminatedBlock whether the output ended inside a block (no closing fence), as when generation hit
 *     the token limit
 */
public record ParsedAssistantMessage(
        String content,
        List<ToolCall> toolCalls,
        List<InvalidToolCall> invalidToolCalls,
        boolean unterminatedBlock) {

    public ParsedAssistantMessage {
        content = content == null ? "" : content;
        toolCalls = List.copyOf(toolCalls);
        invalidToolCalls = List.copyOf(invalidToolCalls);
    }

    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }

    /** Call blocks found, valid or not. */
    public int blockCount() {
        return toolCalls.size() + invalidToolCalls.size();
    }

    /** Whether every call block held a well-formed call (true when there were none). */
    public boolean allBlocksValid() {
        return invalidToolCalls.isEmpty();
    }

    /** The assistant message an OpenAI client receives; content is null when there is only a call. */
    public ChatMessage toChatMessage() {
        String text = content.isEmpty() && hasToolCalls() ? null : content;
        return new ChatMessage(ChatMessage.ASSISTANT, text, hasToolCalls() ? toolCalls : null, null, null, null);
    }

    /** OpenAI's finish reason for this output when generation stopped by itself. */
    public String finishReason() {
        return hasToolCalls() ? "tool_calls" : "stop";
    }
}
