package dev.tooltune.model.evaluation;

import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.evaluation.ToolCallMetrics;
import dev.tooltune.chat.evaluation.ToolCallScorer;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.generation.GenerationOptions;
import dev.tooltune.model.generation.GenerationResult;
import dev.tooltune.model.generation.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Generates the last assistant turn of each eval example (greedy, from the conversation before it) and scores
 * the parsed tool calls against the reference turn. Works on whatever the model's projection slots hold, so the
 * same evaluator measures the base model, a LoRA-adapted one, or a merged checkpoint.
 */
public final class ToolCallEvaluator {

    private final Gemma3Model model;
    private final GemmaTokenizer tokenizer;
    private final GemmaChatFormat format = new GemmaChatFormat();
    private final ToolCallParser parser = new ToolCallParser();
    private final int maxNewTokens;
    private final int batchSize;

    public ToolCallEvaluator(Gemma3Model model, GemmaTokenizer tokenizer, int maxNewTokens, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxNewTokens = maxNewTokens;
        this.batchSize = batchSize;
    }

    /** One example's outcome, for error analysis. */
    public record ExampleResult(int index, String generated, ParsedAssistantMessage parsed, ToolCallScorer.ExampleScore score) {}

    public record Report(ToolCallMetrics metrics, List<ExampleResult> examples) {}

    public Report evaluate(List<ChatExample> examples) {
        return evaluate(examples, done -> {});
    }

    /** @param progress told the number of examples done after each generation batch */
    public Report evaluate(List<ChatExample> examples, IntConsumer progress) {
        List<ExampleResult> results = new ArrayList<>();
        List<ToolCallScorer.ExampleScore> scores = new ArrayList<>();
        Generator generator = new Generator(model);
        for (int start = 0; start < examples.size(); start += batchSize) {
            List<ChatExample> group = examples.subList(start, Math.min(examples.size(), start + batchSize));
            List<int[]> prompts = new ArrayList<>();
            for (ChatExample example : group) {
                prompts.add(format.tokenizePrompt(promptOf(example), example.tools(), example.parallelToolCalls(), tokenizer));
            }
            GenerationResult generated = generator.generate(prompts, GenerationOptions.greedy(maxNewTokens));
            for (int i = 0; i < group.size(); i++) {
                ChatExample example = group.get(i);
                String text = tokenizer.decode(generated.sequences().get(i).tokens(), true);
                ParsedAssistantMessage parsed = parser.parse(text);
                ToolCallScorer.ExampleScore score = ToolCallScorer.score(referenceCalls(example), parsed, example.tools());
                scores.add(score);
                results.add(new ExampleResult(start + i, text, parsed, score));
            }
            progress.accept(Math.min(examples.size(), start + batchSize));
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
