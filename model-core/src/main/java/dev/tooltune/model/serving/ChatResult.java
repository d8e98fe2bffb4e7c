package dev.tooltune.model.serving;

import dev.tooltune.chat.ToolCall;
import java.util.List;

/**
 * The parsed answer: plain content (empty when there is none) and the valid tool calls, why generation ended,
 * token counts and the time from submission to the first generated token. {@code rawText} is the decoded output
 * before parsing (cut at a stop string), for error analysis.
 */
public record ChatResult(String content, List<ToolCall> toolCalls, FinishReason finishReason, int promptTokens,
                         int completionTokens, long timeToFirstTokenNanos, String rawText) {

    public ChatResult(String content, List<ToolCall> toolCalls, FinishReason finishReason, int promptTokens,
                      int completionTokens, long timeToFirstTokenNanos) {
        this(content, toolCalls, finishReason, promptTokens, completionTokens, timeToFirstTokenNanos, content);
    }

    public ChatResult {
        toolCalls = List.copyOf(toolCalls);
    }
}
