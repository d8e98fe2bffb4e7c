package dev.tooltune.inference.engine;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import java.util.List;

/**
 * One chat generation as the engine sees it: the conversation, the tools declared in the prompt, which adapter
 * (null = the base model), how to sample and when to stop. Mirrors model-core's {@code ChatRequest} field for field,
 * so that {@link ServingChatEngine} copies it over and the HTTP layer's test doubles need no model-core types.
 *
 * @param adapterId   an adapter the engine has loaded ({@link ChatEngineBackend#loadAdapter}), or null
 * @param constraint  masks every step (tool calls that parse and match their schema), or null for free text
 */
public record ChatCall(
        List<ChatMessage> messages,
        List<ToolDefinition> tools,
        Boolean parallelToolCalls,
        String adapterId,
        Sampling sampling,
        int maxNewTokens,
        List<String> stop,
        TokenConstraint constraint) {

    /** temperature 0 = greedy; seed makes sampling reproducible per request. */
    public record Sampling(double temperature, double topP, long seed) {
        public static Sampling greedy() {
            return new Sampling(0, 1.0, 0);
        }
    }

    public ChatCall {
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        stop = stop == null ? List.of() : List.copyOf(stop);
    }
}
