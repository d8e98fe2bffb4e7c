package dev.tooltune.model.serving;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import java.util.List;

/**
 * One chat completion: the conversation, the tools it may call, the adapter (null = base model), sampling, the
 * token limit, stop strings, an optional token constraint (applied before each sampling step) and whether several
 * tool calls may be made at once (null = the format's default).
 */
public record ChatRequest(List<ChatMessage> messages, List<ToolDefinition> tools, String adapterId, Sampling sampling,
                          int maxNewTokens, List<String> stop, TokenConstraint constraint, Boolean parallelToolCalls) {

    public ChatRequest(List<ChatMessage> messages, List<ToolDefinition> tools, String adapterId, Sampling sampling,
                       int maxNewTokens, List<String> stop, TokenConstraint constraint) {
        this(messages, tools, adapterId, sampling, maxNewTokens, stop, constraint, null);
    }

    public ChatRequest {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("messages is empty");
        }
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty");
            }
        }
        if (sampling == null) {
            sampling = Sampling.greedy();
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
    }

    /** Greedy, base model, no stop strings, no constraint. */
    public static ChatRequest of(List<ChatMessage> messages, List<ToolDefinition> tools, int maxNewTokens) {
        return new ChatRequest(messages, tools, null, Sampling.greedy(), maxNewTokens, List.of(), null);
    }

    public ChatRequest withAdapter(String id) {
        return new ChatRequest(messages, tools, id, sampling, maxNewTokens, stop, constraint, parallelToolCalls);
    }

    public ChatRequest withSampling(Sampling s) {
        return new ChatRequest(messages, tools, adapterId, s, maxNewTokens, stop, constraint, parallelToolCalls);
    }

    public ChatRequest withConstraint(TokenConstraint c) {
        return new ChatRequest(messages, tools, adapterId, sampling, maxNewTokens, stop, c, parallelToolCalls);
    }

    public ChatRequest withStop(List<String> strings) {
        return new ChatRequest(messages, tools, adapterId, sampling, maxNewTokens, strings, constraint, parallelToolCalls);
    }
}
