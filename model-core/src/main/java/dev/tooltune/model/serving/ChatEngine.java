package dev.tooltune.model.serving;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.template.RenderedSegment;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The chat-level entry point: messages + tools + options in, content and tool calls out. Renders the prompt with
 * {@link GemmaChatFormat} (tokenized segment by segment, as in training), marks the system + tools block as the
 * shareable prefix for the engine's prefix cache, generates through the {@link ServingEngine}, streams final deltas
 * ({@link ChatStream}: text, then each tool call's name and argument fragments) and parses the output with
 * {@link ToolCallParser}. The command line, the evaluator and inference-service all go through here.
 */
public final class ChatEngine {
    private final ServingEngine engine;
    private final GemmaChatFormat format;
    private final GemmaTokenizer tokenizer;
    private final ToolCallParser parser = new ToolCallParser();

    public ChatEngine(ServingEngine engine, GemmaChatFormat format, GemmaTokenizer tokenizer) {
        this.engine = engine;
        this.format = format;
        this.tokenizer = tokenizer;
    }

    public ChatEngine(ServingEngine engine, GemmaTokenizer tokenizer) {
        this(engine, new GemmaChatFormat(), tokenizer);
    }

    public ServingEngine engine() {
        return engine;
    }

    public GemmaTokenizer tokenizer() {
        return tokenizer;
    }

    /** The prompt's token ids and how many leading tokens (through the tools declaration) are shareable. */
    public record Prompt(int[] tokens, int sharedPrefixLength) {}

    public Prompt prompt(List<ChatMessage> messages, List<ToolDefinition> tools, Boolean parallelToolCalls) {
        int[] ids = format.tokenizePrompt(messages, tools, parallelToolCalls, tokenizer);
        int prefix = 0;
        if (!tools.isEmpty()) {
            int position = 0;
            for (RenderedSegment segment : format.promptSegments(messages, tools, parallelToolCalls)) {
                position += tokenizer.encode(segment.text()).length;
                if (segment.toolsDeclaration()) {
                    prefix = position;
                    break;
                }
            }
        }
        return new Prompt(ids, prefix < ids.length ? prefix : 0);
    }

    /**
     * Queues the request and returns at once; {@code listener} (may be null) gets final deltas on the scheduler
     * thread. Throws {@link IllegalArgumentException} for an unknown adapter or a bad request and
     * {@link java.util.concurrent.RejectedExecutionException} when the queue is full.
     */
    public ChatHandle submit(ChatRequest request, ChatStreamListener listener) {
        Prompt prompt = prompt(request.messages(), request.tools(), request.parallelToolCalls());
        String idSeed = UUID.randomUUID().toString();
        ChatStream stream = new ChatStream(tokenizer, request.stop(), listener, idSeed);
        GenerationHandle generation = engine.submit(new GenerationRequest(prompt.tokens(), prompt.sharedPrefixLength(),
                request.adapterId(), request.sampling(), request.maxNewTokens(), request.constraint(), stream));
        CompletableFuture<ChatResult> result = generation.result().thenApply(completion -> {
            String text = stream.finish();
            ParsedAssistantMessage parsed = parser.parse(text, idSeed);
            FinishReason reason = switch (completion.finishReason()) {
                case STOP, TOOL_CALLS -> parsed.hasToolCalls() ? FinishReason.TOOL_CALLS : FinishReason.STOP;
                case LENGTH, CANCELLED -> completion.finishReason();
            };
            return new ChatResult(parsed.content(), parsed.toolCalls(), parsed.invalidToolCalls(), reason,
                    completion.promptTokens(), completion.tokens().length, completion.timeToFirstTokenNanos(), text);
        });
        return new ChatHandle() {
            @Override
            public CompletableFuture<ChatResult> result() {
                return result;
            }

            @Override
            public void cancel() {
                generation.cancel();
            }
        };
    }

    /** Blocking convenience (command line, evaluator). */
    public ChatResult complete(ChatRequest request) {
        try {
            return submit(request, null).result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new CompletionException(cause);
        }
    }
}
