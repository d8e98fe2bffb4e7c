package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random logits, no model: whatever is sampled under the mask and a token budget, for every tool set of the sample
 * data and every mode, is a complete answer (every generation finishes: calls close before the budget ends) that
 * parses into calls of declared tools whose arguments satisfy the schema's enforced keywords; the post-check reports
 * only the keywords left to it. Half the samples draw uniformly among the allowed tokens (only the budget closes
 * their strings), the other half prefer JSON syntax (deeper, fuller arguments).
 */
class SampleToolsPropertyTest {
    /** Keywords of the sample schemas that the grammar does not enforce while generating. */
    private static final Set<String> POST_CHECKED = Set.of("uniqueItems");
    private static final int SAMPLES_PER_MODE = 5;
    /** A realistic {@code max_tokens} for a tool call. */
    private static final int MAX_TOKENS = 256;

    private final ToolCallParser parser = new ToolCallParser();

    @Test
    void everyModeOfEveryToolSetYieldsValidCalls() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        Outcomes outcomes = new Outcomes();
        int textAnswers = 0;
        for (Map.Entry<String, List<ToolDefinition>> set : SampleTools.TOOL_SETS.entrySet()) {
            List<ToolDefinition> tools = set.getValue();
            List<ToolChoice> choices = new ArrayList<>(List.of(ToolChoice.AUTO, ToolChoice.REQUIRED));
            tools.forEach(t -> choices.add(ToolChoice.named(t.function().name())));
            for (ToolChoice choice : choices) {
                for (boolean parallel : new boolean[] {true, false}) {
                    for (int i = 0; i < SAMPLES_PER_MODE; i++) {
                        Fixtures.Sample sample = Fixtures.sample(
                                decoding.forTools(tools, choice, parallel).orElseThrow(), random, MAX_TOKENS, i % 2 == 0);
                        String where = set.getKey() + " " + choice + " parallel=" + parallel + ": " + sample.text();
                        outcomes.record(sample, choice, where);
                        ParsedAssistantMessage message = parser.parse(sample.text());
                        assertTrue(message.invalidToolCalls().isEmpty(), () -> "invalid block in " + where);
                        assertFalse(message.unterminatedBlock(), () -> "unterminated in " + where);
                        if (message.toolCalls().isEmpty()) {
                            textAnswers++;
                            assertEquals(ToolChoice.AUTO, choice, () -> "no call in " + where);
                            assertFalse(message.content().isBlank(), () -> "empty answer in " + where);
                        }
                        if (!parallel || choice instanceof ToolChoice.Named) {
                            assertTrue(message.toolCalls().size() <= 1, () -> "several calls in " + where);
                        }
                        for (ToolCall call : message.toolCalls()) {
                            ToolDefinition tool = tools.stream()
                                    .filter(t -> t.function().name().equals(call.function().name())).findFirst()
                                    .orElseThrow(() -> new AssertionError("undeclared tool in " + where));
                            if (choice instanceof ToolChoice.Named named) {
                                assertEquals(named.name(), call.function().name(), where);
                            }
                            JsonNode enforced = Fixtures.enforcedOnly(tool.function().parameters(), POST_CHECKED);
                            List<String> problems = decoding.check().validate(Fixtures.json(call.function().arguments()), enforced);
                            assertEquals(List.of(), problems, where);
                        }
                        List<String> reported = decoding.check().toolCalls(message, tools, choice, parallel);
                        for (String problem : reported) {
                            assertTrue(problem.contains("unique"),
                                    () -> "post-check found more than the unenforced keywords: " + problem + " in " + where);
                        }
                    }
                }
            }
        }
        System.out.printf("sample tools: %d of %d generations finished within %d tokens, %d answered in text"
                + " (%d of them cut by the budget)%n", outcomes.finished, outcomes.total, MAX_TOKENS, textAnswers,
                outcomes.cutTexts);
    }

    /**
     * With a budget of a few tokens most auto-mode answers are cut: each is counted as cut, never as finished (the
     * count above printed cut text as finished once), and a generation counts as finished only when it ended its turn.
     */
    @Test
    void autoModeTextCutByTheBudgetCountsAsCutNotFinished() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        Outcomes outcomes = new Outcomes();
        int endedTurns = 0;
        for (List<ToolDefinition> tools : SampleTools.TOOL_SETS.values()) {
            for (int i = 0; i < 10; i++) {
                Fixtures.Sample sample = Fixtures.sample(decoding.forTools(tools, ToolChoice.AUTO, true).orElseThrow(),
                        random, 3, i % 2 == 0);
                outcomes.record(sample, ToolChoice.AUTO, sample.text());
                int[] tokens = sample.tokens();
                int last = tokens.length == 0 ? -1 : tokens[tokens.length - 1];
                endedTurns += last == GemmaTokenizer.END_OF_TURN_ID || last == GemmaTokenizer.EOS_ID ? 1 : 0;
            }
        }
        assertTrue(outcomes.cutTexts > 0, "a 3-token budget cut no answer: " + outcomes.cutTexts);
        assertEquals(endedTurns, outcomes.finished, "finished generations are those that ended their turn");
        assertEquals(outcomes.total - endedTurns, outcomes.cutTexts, "cut generations");
    }

    /** Generations counted as finished, or as auto-mode text cut by the token budget (no other kind may be cut). */
    private static final class Outcomes {
        int total;
        int finished;
        int cutTexts;

        void record(Fixtures.Sample sample, ToolChoice choice, String where) {
            total++;
            if (sample.finished()) {
                finished++;
            } else {
                assertTrue(choice == ToolChoice.AUTO && !sample.text().contains("```"),
                        () -> "did not finish within the budget: " + where);
                cutTexts++;
            }
        }
    }

    /**
     * The tightest budget that can hold a call (its shortest completion, plus the end-of-turn token): uniform random
     * tokens still always produce a complete, valid call, for every tool set and tool. Budgets count bytes, so the
     * edge is reached only one byte per token: those samples fail if the constraint forgets to keep a token for
     * end-of-turn (a budget one token short).
     */
    @Test
    void callsFinishWithinTheTightestBudget() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        int calls = 0;
        for (Map.Entry<String, List<ToolDefinition>> set : SampleTools.TOOL_SETS.entrySet()) {
            List<ToolDefinition> tools = set.getValue();
            List<ToolChoice> choices = new ArrayList<>(List.of(ToolChoice.REQUIRED));
            tools.forEach(t -> choices.add(ToolChoice.named(t.function().name())));
            for (ToolChoice choice : choices) {
                for (int i = 0; i < 3; i++) {
                    GrammarConstraint constraint = (GrammarConstraint) decoding.forTools(tools, choice, true).orElseThrow();
                    int budget = constraint.shortestCompletion() + 1; // exactly: the call and <end_of_turn>
                    // one byte per token twice (only then is the budget tight), uniform over all tokens once
                    Fixtures.Sample sample = i < 2 ? Fixtures.sampleBytewise(constraint, random, budget)
                            : Fixtures.sample(constraint, random, budget, true);
                    String where = set.getKey() + " " + choice + " budget " + budget + ": " + sample.text();
                    assertTrue(sample.finished(), () -> "unfinished: " + where);
                    ParsedAssistantMessage message = parser.parse(sample.text());
                    assertFalse(message.toolCalls().isEmpty(), () -> "no call: " + where);
                    assertTrue(message.invalidToolCalls().isEmpty(), () -> "invalid block: " + where);
                    calls++;
                }
            }
        }
        System.out.printf("tightest budgets: %d calls, all complete%n", calls);
    }
}
