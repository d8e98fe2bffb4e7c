package dev.tooltune.inference.engine;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.serving.ChatEngine;
import dev.tooltune.model.serving.Completion;
import dev.tooltune.model.serving.GenerationHandle;
import dev.tooltune.model.serving.GenerationRequest;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import dev.tooltune.model.serving.ServingStats;
import java.nio.file.Path;
import java.util.UUID;
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
    private final GemmaTokenizer tokenizer;
    private final ToolCallParser parser = new ToolCallParser();

    public ServingChatEngine(Gemma3Model model, GemmaTokenizer tokenizer, ServingConfig config) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.engine = ServingEngine.start(model, config);
        this.chat = new ChatEngine(engine, tokenizer);
    }

    /** Renders and tokenises the prompt (CPU work in proportion to its length: call it off any event loop). */
    @Override
    public ChatHandle submit(ChatCall call, ChatStreamListener listener) {
        // model-core's ChatEngine renders the prompt (tools block as the shareable prefix); the output goes through
        // this service's own stream, which streams tool calls the way OpenAI does (name, then argument fragments).
        ChatEngine.Prompt prompt = chat.prompt(call.messages(), call.tools(), call.parallelToolCalls());
        String idSeed = UUID.randomUUID().toString();
        ChatOutputStream stream = new ChatOutputStream(tokenizer, call.stop(), listener, idSeed);
        GenerationHandle generation = engine.submit(new GenerationRequest(prompt.tokens(), prompt.sharedPrefixLength(),
                call.adapterId(), new Sampling(call.sampling().temperature(), call.sampling().topP(), 0,
                call.sampling().seed()), call.maxNewTokens(), call.constraint(), stream));
        CompletableFuture<ChatOutcome> outcome = generation.result()
                .thenApply(completion -> outcome(completion, stream.finish(), idSeed));
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

    private ChatOutcome outcome(Completion completion, String text, String idSeed) {
        ParsedAssistantMessage parsed = parser.parse(text, idSeed);
        ChatOutcome.FinishReason reason = switch (completion.finishReason()) {
            case STOP, TOOL_CALLS -> parsed.hasToolCalls() ? ChatOutcome.FinishReason.TOOL_CALLS
                    : ChatOutcome.FinishReason.STOP;
            case LENGTH -> ChatOutcome.FinishReason.LENGTH;
            case CANCELLED -> ChatOutcome.FinishReason.CANCELLED;
        };
        return new ChatOutcome(parsed.content(), parsed.toolCalls(), parsed.invalidToolCalls(), reason,
                completion.promptTokens(), completion.tokens().length, completion.timeToFirstTokenNanos());
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
