package dev.tooltune.inference.api;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolDefinition;
import java.util.List;

/** A checked {@code POST /v1/chat/completions} body (read by {@link ChatCompletionReader}). */
public record ChatCompletionRequest(
        String model,
        List<ChatMessage> messages,
        List<ToolDefinition> tools,
        ToolChoice toolChoice,
        boolean parallelToolCalls,
        double temperature,
        double topP,
        Integer maxTokens,
        List<String> stop,
        Long seed,
        boolean stream,
        boolean includeUsage,
        ResponseFormat responseFormat) {

    /** Whether tool calls are possible: tools declared and tool_choice not none. */
    public boolean toolsActive() {
        return !tools.isEmpty() && toolChoice.mode() != ToolChoice.Mode.NONE;
    }
}
