package dev.tooltune.inference.engine;

import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.toolcall.InvalidToolCall;
import java.util.List;

/**
 * What a generation produced, already parsed: plain content, the well-formed tool calls, the call blocks that were
 * not well-formed, why it ended and how many tokens it took.
 */
public record ChatOutcome(
        String content,
        List<ToolCall> toolCalls,
        List<InvalidToolCall> invalidToolCalls,
        FinishReason finishReason,
        int promptTokens,
        int completionTokens,
        long timeToFirstTokenNanos) {

    public enum FinishReason { STOP, LENGTH, TOOL_CALLS, CANCELLED }

    public ChatOutcome {
        toolCalls = List.copyOf(toolCalls);
        invalidToolCalls = List.copyOf(invalidToolCalls);
    }
}
