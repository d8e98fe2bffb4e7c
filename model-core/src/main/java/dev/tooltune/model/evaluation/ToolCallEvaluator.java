package dev.tooltune.model.evaluation;

import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.evaluation.ToolCallMetrics;
import dev.tooltune.chat.evaluation.ToolCallScorer;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.serving.ChatEngine;
import dev.tooltune.model.serving.ChatHandle;
import dev.tooltune.model.serving.ChatRequest;
import dev.tooltune.model.serving.ChatResult;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Generates the last assistant turn of each eval example (greedy, from the conversation before it) through the
 * chat-level entry point ({@link ChatEngine}) and scores the parsed tool calls against the reference turn. With an
 * adapter id it measures that adapter over the base model; without, whatever the model computes (the base model, or a
 * model whose training adapter is attached, or a merged checkpoint).
 */
public final class ToolCallEvaluator {

    private final Gemma3Model model;
    private final GemmaTokenizer tokenizer;
    private final ChatEngine chat;
    private final String adapterId;
    private final int maxNewTokens;
    private final int batchSize;

    /** Evaluates {@code model} as it is, with up to {@code batchSize} examples decoding together. */
    public ToolCallEvaluator(Gemma3Model model, GemmaTokenizer tokenizer, int maxNewTokens, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.chat = null;
        this.adapterId = null;
        this.maxNewTokens = maxNewTokens;
        this.batchSize = Math.max(1, batchSize);
    }

    /** Evaluates through a running engine, with adapter {@code adapterId} (null = base model). */
    public ToolCallEvaluator(ChatEngine chat, String adapterId, int maxNewTokens) {
        this.model = null;
        this.tokenizer = chat.tokenizer();
        this.chat = chat;
        this.adapterId = adapterId;
        this.maxNewTokens = maxNewTokens;
        this.batchSize = chat.engine().config().maxRunningSequences();
    }

    /** One example's outcome, for error analysis. */
    public record ExampleResult(int index, String generated, ParsedAssistantMessage parsed, ToolCallScorer.ExampleScore score) {}

    public record Report(ToolCallMetrics metrics, List<ExampleResult> examples) {}

    public Report evaluate(List<ChatExample> examples) {
        return evaluate(examples, done -> {});
    }

    /** @param progress told the number of examples done, as they finish in order */
    public Report evaluate(List<ChatExample> examples, IntConsumer progress) {
        if (chat != null) {
            return evaluate(chat, examples, progress);
        }
        try (ServingEngine engine = ServingEngine.start(model, ServingConfig.defaults().withMaxRunningSequences(batchSize)
                .withMaxWaitingRequests(Math.max(1, examples.size())))) {
            return evaluate(new ChatEngine(engine, tokenizer), examples, progress);
        }
    }

    private Report evaluate(ChatEngine engine, List<ChatExample> examples, IntConsumer progress) {
        List<ChatHandle> handles = new ArrayList<>();
        for (ChatExample example : examples) {
            ChatRequest request = new ChatRequest(promptOf(example), example.tools(), adapterId, Sampling.greedy(),
                    maxNewTokens, List.of(), null, example.parallelToolCalls());
            handles.add(engine.submit(request, null));
        }
        List<ExampleResult> results = new ArrayList<>();
        List<ToolCallScorer.ExampleScore> scores = new ArrayList<>();
        ToolCallParser parser = new ToolCallParser();
        for (int i = 0; i < examples.size(); i++) {
            ChatResult result = handles.get(i).result().join();
            ParsedAssistantMessage parsed = parser.parse(result.rawText());
            ToolCallScorer.ExampleScore score = ToolCallScorer.score(referenceCalls(examples.get(i)), parsed,
                    examples.get(i).tools());
            scores.add(score);
            results.add(new ExampleResult(i, result.rawText(), parsed, score));
            if ((i + 1) % batchSize == 0 || i + 1 == examples.size()) {
                progress.accept(i + 1);
            }
        }
        return new Report(ToolCallMetrics.of(scores), results);
    }

    /** The conversation up to (not including) its last assistant message. */
    static List<ChatMessage> promptOf(ChatExample example) {
        int last = lastAssistant(example);
        return example.messages().subList(0, last);
    }

    /** The calls of the last assistant message (empty when it answers in text). */
    static List<ToolCall> referenceCalls(ChatExample example) {
        ChatMessage reference = example.messages().get(lastAssistant(example));
        return reference.toolCalls() == null ? List.of() : reference.toolCalls();
    }

    private static int lastAssistant(ChatExample example) {
        for (int i = example.messages().size() - 1; i >= 0; i--) {
            if (ChatMessage.ASSISTANT.equals(example.messages().get(i).role())) {
                return i;
            }
        }
        throw new IllegalArgumentException("eval example has no assistant message to compare with");
    }
}
