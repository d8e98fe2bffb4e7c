package dev.tooltune.inference.engine;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.serving.ChatEngine;
import dev.tooltune.model.serving.ChatRequest;
import dev.tooltune.model.serving.ChatResult;
import dev.tooltune.model.serving.ChatStreamListener;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import dev.tooltune.model.serving.ServingStats;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * {@link ChatEngineBackend} on model-core's {@link ChatEngine}: continuous batching, LoRA per row (several adapters in
 * one forward pass), a prefix cache for the shared tools block, the request's {@code TokenConstraint} applied before
 * each sampling step, and tool calls streamed as OpenAI streams them (name, then argument fragments).
 */
public final class ServingChatEngine implements ChatEngineBackend {
    private final Gemma3Model model;
    private final ServingEngine engine;
    private final ChatEngine chat;

    public ServingChatEngine(Gemma3Model model, GemmaTokenizer tokenizer, ServingConfig config) {
        this.model = model;
        this.engine = ServingEngine.start(model, config);
        this.chat = new ChatEngine(engine, tokenizer);
    }

    /** Renders and tokenises the prompt (CPU work in proportion to its length: call it off any event loop). */
    @Override
    public ChatHandle submit(ChatCall call, ChatStreamListener listener) {
        ChatCall.Sampling sampling = call.sampling();
        dev.tooltune.model.serving.ChatHandle generation = chat.submit(new ChatRequest(call.messages(), call.tools(),
                call.adapterId(), new Sampling(sampling.temperature(), sampling.topP(), 0, sampling.seed()),
                call.maxNewTokens(), call.stop(), call.constraint(), call.parallelToolCalls()), listener);
        CompletableFuture<ChatOutcome> outcome = generation.result().thenApply(ServingChatEngine::outcome);
        return new ChatHandle() {
            @Override
            public CompletableFuture<ChatOutcome> result() {
                return outcome;
            }

            @Override
            public void cancel() {
                generation.cancel();
            }
        };
    }

    private static ChatOutcome outcome(ChatResult result) {
        ChatOutcome.FinishReason reason = switch (result.finishReason()) {
            case STOP -> ChatOutcome.FinishReason.STOP;
            case TOOL_CALLS -> ChatOutcome.FinishReason.TOOL_CALLS;
            case LENGTH -> ChatOutcome.FinishReason.LENGTH;
            case CANCELLED -> ChatOutcome.FinishReason.CANCELLED;
        };
        return new ChatOutcome(result.content(), result.toolCalls(), result.invalidToolCalls(), reason,
                result.promptTokens(), result.completionTokens(), result.timeToFirstTokenNanos());
    }

    @Override
    public void loadAdapter(String adapterId, Path directory) {
        engine.loadAdapter(adapterId, directory);
    }

    @Override
    public void unloadAdapter(String adapterId) {
        engine.unloadAdapter(adapterId);
    }

    @Override
    public int queued() {
        return engine.stats().waiting();
    }

    @Override
    public int running() {
        return engine.stats().running();
    }

    @Override
    public int vocabSize() {
        return model.config().vocabSize();
    }

    public ServingStats stats() {
        return engine.stats();
    }

    @Override
    public void close() {
        engine.close();
        model.close();
    }

}
