package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
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
        int finished = 0;
        int total = 0;
        int textAnswers = 0;
        int cutTexts = 0;
        for (Map.Entry<String, List<ToolDefinition>> set : SampleTools.TOOL_SETS.entrySet()) {
            List<ToolDefinition> tools = set.getValue();
            List<ToolChoice> choices = new ArrayList<>(List.of(ToolChoice.AUTO, ToolChoice.REQUIRED));
            tools.forEach(t -> choices.add(ToolChoice.named(t.function().name())));
            for (ToolChoice choice : choices) {
                for (boolean parallel : new boolean[] {true, false}) {
                    for (int i = 0; i < SAMPLES_PER_MODE; i++) {
                        Fixtures.Sample sample = Fixtures.sample(
                                decoding.forTools(tools, choice, parallel).orElseThrow(), random, MAX_TOKENS, i % 2 == 0);
                        total++;
                        String unfinished = set.getKey() + " " + choice + " parallel=" + parallel + ": " + sample.text();
                        if (sample.finished()) {
                            finished++;
                        } else {
                            // only auto-mode text may be cut by the budget; it is counted apart, never as finished
                            assertTrue(choice == ToolChoice.AUTO && !sample.text().contains("```"),
                                    () -> "did not finish within " + MAX_TOKENS + " tokens: " + unfinished);
                            cutTexts++;
                        }
                        ParsedAssistantMessage message = parser.parse(sample.text());
                        String where = set.getKey() + " " + choice + " parallel=" + parallel + ": " + sample.text();
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
                + " (%d of them cut by the budget)%n", finished, total, MAX_TOKENS, textAnswers, cutTexts);
        // Every generation is either finished or auto-mode text cut by the budget: a count that also took in cut
        // generations as finished breaks the sum (visible only in a run with a cut; the sampler rarely cuts text).
        assertEquals(total, finished + cutTexts, "finished " + finished + " + cut " + cutTexts + " of " + total);
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
