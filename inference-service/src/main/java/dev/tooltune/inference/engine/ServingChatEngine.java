package dev.tooltune.inference.engine;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.serving.ChatEngine;
import dev.tooltune.model.serving.ChatRequest;
import dev.tooltune.model.serving.ChatResult;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import dev.tooltune.model.serving.ServingStats;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@link ChatEngineBackend} on model-core's serving engine: continuous batching, LoRA per row (several adapters in
 * one forward pass), a prefix cache for the shared tools block, and the request's {@code TokenConstraint} applied
 * before each sampling step.
 */
public final class ServingChatEngine implements ChatEngineBackend {
    private final Gemma3Model model;
    private final ServingEngine engine;
    private final ChatEngine chat;
    private final ToolCallParser parser = new ToolCallParser();

    public ServingChatEngine(Gemma3Model model, GemmaTokenizer tokenizer, ServingConfig config) {
        this.model = model;
        this.engine = ServingEngine.start(model, config);
        this.chat = new ChatEngine(engine, tokenizer);
    }

    @Override
    public ChatHandle submit(ChatCall call, ChatStreamListener listener) {
        ChatRequest request = new ChatRequest(call.messages(), call.tools(), call.adapterId(),
                new Sampling(call.sampling().temperature(), call.sampling().topP(), 0, call.sampling().seed()),
                call.maxNewTokens(), call.stop(), call.constraint(), call.parallelToolCalls());
        dev.tooltune.model.serving.ChatHandle handle = chat.submit(request,
                new dev.tooltune.model.serving.ChatStreamListener() {
                    @Override
                    public void onContentDelta(String text) {
                        listener.onContentDelta(text);
                    }

                    @Override
                    public void onToolCallStart(int index, String callId, String functionName) {
                        listener.onToolCallStart(index, callId, functionName);
                    }

                    @Override
                    public void onToolCallArgumentsDelta(int index, String fragment) {
                        listener.onToolCallArgumentsDelta(index, fragment);
                    }
                });
        CompletableFuture<ChatOutcome> outcome = handle.result().thenApply(this::outcome);
        return new ChatHandle() {
            @Override
            public CompletableFuture<ChatOutcome> result() {
                return outcome;
            }

            @Override
            public void cancel() {
                handle.cancel();
            }
        };
    }

    private ChatOutcome outcome(ChatResult result) {
        // The engine returns the well-formed calls; the blocks that were not are read again from the raw text so
        // that they can be reported.
        ParsedAssistantMessage parsed = parser.parse(result.rawText() == null ? "" : result.rawText());
        ChatOutcome.FinishReason reason = switch (result.finishReason()) {
            case STOP -> ChatOutcome.FinishReason.STOP;
            case LENGTH -> ChatOutcome.FinishReason.LENGTH;
            case TOOL_CALLS -> ChatOutcome.FinishReason.TOOL_CALLS;
            case CANCELLED -> ChatOutcome.FinishReason.CANCELLED;
        };
        return new ChatOutcome(result.content(), result.toolCalls(), parsed.invalidToolCalls(), reason,
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
