package dev.tooltune.model.serving;

import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.toolcall.InvalidToolCall;
import java.util.List;

/**
 * The parsed answer: plain content (empty when there is none), the valid tool calls and the call blocks that were not
 * well-formed (possible only without a constraint), why generation ended,
 * token counts and the time from submission to the first generated token. {@code rawText} is the decoded output
 * before parsing (cut at a stop string), for error analysis.
 */
public record ChatResult(String content, List<ToolCall> toolCalls, List<InvalidToolCall> invalidToolCalls,
                         FinishReason finishReason, int promptTokens, int completionTokens, long timeToFirstTokenNanos,
                         String rawText) {

    public ChatResult(String content, List<ToolCall> toolCalls, FinishReason finishReason, int promptTokens,
                      int completionTokens, long timeToFirstTokenNanos) {
        this(content, toolCalls, List.of(), finishReason, promptTokens, completionTokens, timeToFirstTokenNanos, content);
    }

    public ChatResult {
        toolCalls = List.copyOf(toolCalls);
        invalidToolCalls = List.copyOf(invalidToolCalls);
    }
}
