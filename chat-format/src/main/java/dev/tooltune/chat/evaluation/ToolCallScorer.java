package dev.tooltune.chat.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores one generated assistant turn against the reference turn of an eval example. Pure JSON work, so
 * services can score without libtorch. Calls are matched order-free (parallel calls may come in any order):
 * the score takes the largest one-to-one matching of reference calls to predicted calls.
 */
public final class ToolCallScorer {

    private ToolCallScorer() {}

    /** The verdict on one example. */
    public record ExampleScore(
            int expectedCalls,
            int predictedCalls,
            /** predicted calls whose arguments parse as a JSON object */
            int validJsonCalls,
            /** reference calls matched by a predicted call with the same name and AST-equal arguments */
            int matchedCalls,
            /** the multiset of predicted function names equals the reference's */
            boolean namesMatch,
            /** the whole call set matches (or, with no call expected, none was made) */
            boolean exactMatch,
            /** the first reason a reference call went unmatched, for error reports; null when exact */
            String mismatch) {

        public boolean expectsCall() {
            return expectedCalls > 0;
        }

        public boolean abstained() {
            return predictedCalls == 0;
        }
    }

    public static ExampleScore score(List<ToolCall> expected, List<ToolCall> predicted, List<ToolDefinition> tools) {
        return score(expected, predicted, 0, tools);
    }

    /** Scores a parsed generation: its valid calls, and the call blocks the parser had to reject. */
    public static ExampleScore score(List<ToolCall> expected, ParsedAssistantMessage parsed, List<ToolDefinition> tools) {
        return score(expected, parsed.toolCalls(), parsed.invalidToolCalls().size(), tools);
    }

    /**
     * @param malformedCalls call blocks in the output that did not even parse into a call; they count as
     *                       predicted calls with invalid JSON, and make an exact match impossible
     */
    public static ExampleScore score(List<ToolCall> expected, List<ToolCall> predicted, int malformedCalls,
            List<ToolDefinition> tools) {
        expected = expected == null ? List.of() : expected;
        predicted = predicted == null ? List.of() : predicted;
        Map<String, JsonNode> schemas = new HashMap<>();
        if (tools != null) {
            for (ToolDefinition tool : tools) {
                if (tool.function() != null) {
                    schemas.put(tool.function().name(), tool.function().parameters());
                }
            }
        }
        List<JsonNode> predictedArguments = new ArrayList<>();
        int valid = 0;
        for (ToolCall call : predicted) {
            JsonNode arguments = parseObject(call);
            predictedArguments.add(arguments);
            if (arguments != null) {
                valid++;
            }
        }
        // compatible[i][j]: reference call i is matched by predicted call j
        boolean[][] compatible = new boolean[expected.size()][predicted.size()];
        String firstMismatch = null;
        for (int i = 0; i < expected.size(); i++) {
            ToolCall reference = expected.get(i);
            String reason = "no call to " + name(reference);
            for (int j = 0; j < predicted.size(); j++) {
                if (!name(reference).equals(name(predicted.get(j)))) {
                    continue;
                }
                String why = ArgumentMatcher.mismatch(parseObject(reference), predictedArguments.get(j), schemas.get(name(reference)));
                compatible[i][j] = why == null;
                if (why != null) {
                    reason = name(reference) + ": " + why;
                }
            }
            if (firstMismatch == null && !anyTrue(compatible[i])) {
                firstMismatch = reason;
            }
        }
        int matched = maximumMatching(compatible, predicted.size());
        boolean namesMatch = sortedNames(expected).equals(sortedNames(predicted));
        boolean exact = matched == expected.size() && predicted.size() == expected.size() && malformedCalls == 0;
        if (exact) {
            firstMismatch = null;
        } else if (firstMismatch == null && malformedCalls > 0) {
            firstMismatch = malformedCalls + " malformed call block(s)";
        } else if (firstMismatch == null) {
            firstMismatch = predicted.size() > expected.size()
                    ? (expected.isEmpty() ? "a call where none was expected" : "extra calls: " + (predicted.size() - expected.size()))
                    : "calls could not be matched one to one";
        }
        return new ExampleScore(expected.size(), predicted.size() + malformedCalls, valid, matched,
                namesMatch && malformedCalls == 0, exact, firstMismatch);
    }

    private static boolean anyTrue(boolean[] row) {
        for (boolean b : row) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    /** Size of a maximum bipartite matching (Kuhn's augmenting paths; call sets are small). */
    private static int maximumMatching(boolean[][] compatible, int right) {
        int[] owner = new int[right];
        java.util.Arrays.fill(owner, -1);
        int matched = 0;
        for (int i = 0; i < compatible.length; i++) {
            if (augment(i, compatible, owner, new boolean[right])) {
                matched++;
            }
        }
        return matched;
    }

    private static boolean augment(int i, boolean[][] compatible, int[] owner, boolean[] visited) {
        for (int j = 0; j < owner.length; j++) {
            if (compatible[i][j] && !visited[j]) {
                visited[j] = true;
                if (owner[j] < 0 || augment(owner[j], compatible, owner, visited)) {
                    owner[j] = i;
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> sortedNames(List<ToolCall> calls) {
        List<String> names = new ArrayList<>();
        for (ToolCall call : calls) {
            names.add(name(call));
        }
        names.sort(null);
        return names;
    }

    private static String name(ToolCall call) {
        return call.function() == null || call.function().name() == null ? "" : call.function().name();
    }

    /** The call's arguments as a JSON object, or null when they are missing, malformed or not an object. */
    static JsonNode parseObject(ToolCall call) {
        if (call.function() == null || call.function().arguments() == null) {
            return null;
        }
        try {
            JsonNode node = ChatJson.MAPPER.readTree(call.function().arguments());
            return node != null && node.isObject() ? node : null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
