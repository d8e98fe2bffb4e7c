package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.grammar.automaton.Shortest;
import dev.tooltune.grammar.automaton.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What makes a token budget safe: at every state reached by random walks over the automaton (byte by byte), the
 * shortest completion is 0 only where the output may end, and some next byte lowers it by at least one. By induction
 * the output can then always end within that many bytes, so it never under-counts what a call still needs.
 */
class ShortestCompletionTest {
    private static final int WALK = 120;

    @Test
    void sampleToolSetsInEveryMode() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        int states = 0;
        for (List<ToolDefinition> tools : SampleTools.TOOL_SETS.values()) {
            List<ToolChoice> choices = new ArrayList<>(List.of(ToolChoice.AUTO, ToolChoice.REQUIRED));
            tools.forEach(t -> choices.add(ToolChoice.named(t.function().name())));
            for (ToolChoice choice : choices) {
                for (int i = 0; i < 6; i++) {
                    states += walk(decoding.toolGrammar(tools, choice, true).initialState(), random, tools.toString());
                }
            }
        }
        System.out.printf("shortest completion consistent at %d states of the sample tool sets%n", states);
    }

    @Test
    void randomSchemas() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        RandomSchemas schemas = new RandomSchemas(random);
        int states = 0;
        for (int i = 0; i < 300; i++) {
            ObjectNode schema = schemas.toolSchema();
            List<ToolDefinition> tools = List.of(ToolDefinition.function("tool_" + i, "random", schema));
            states += walk(decoding.toolGrammar(tools, ToolChoice.REQUIRED, false).initialState(), random, schema.toString());
        }
        System.out.printf("shortest completion consistent at %d states of 300 random schemas%n", states);
    }

    @Test
    void exactForKnownShapes() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        JsonNode schema = Fixtures.json("""
                {"type": "object", "properties": {"city": {"type": "string", "minLength": 2},
                 "days": {"type": "integer", "minimum": 10}, "unit": {"enum": ["c", "fahrenheit"]},
                 "tags": {"type": "array", "minItems": 2, "items": {"type": "boolean"}}},
                 "required": ["city", "days", "unit", "tags"], "additionalProperties": false}""");
        State start = decoding.jsonGrammar(schema).initialState();
        String shortest = "{\"city\":\"aa\",\"days\":10,\"unit\":\"c\",\"tags\":[true,true]}";
        assertEquals(shortest.length(), Shortest.completion(start));
        State state = start;
        for (int i = 0; i < shortest.length(); i++) {
            state = state.step(shortest.charAt(i));
            assertEquals(shortest.length() - i - 1, Shortest.completion(state), shortest.substring(0, i + 1));
        }
        assertTrue(state.canEnd());
    }

    /** Checks the invariant along one random walk; returns the states checked. */
    private static int walk(State start, Random random, String where) {
        State state = start;
        StringBuilder text = new StringBuilder();
        int checked = 0;
        for (int step = 0; step < WALK && state != null; step++) {
            check(state, where, text);
            checked++;
            State next = null;
            // Mostly ASCII, sometimes any byte; a few tries, then any allowed byte.
            for (int attempt = 0; attempt < 24 && next == null; attempt++) {
                int b = attempt < 20 ? (random.nextInt(8) == 0 ? random.nextInt(256) : 32 + random.nextInt(95)) : -1;
                if (b < 0) {
                    for (int any = 0; any < 256 && next == null; any++) {
                        next = state.step(any);
                        b = any;
                    }
                } else {
                    next = state.step(b);
                }
                if (next != null) {
                    text.append((char) b);
                }
            }
            state = next;
        }
        return checked;
    }

    private static void check(State state, String where, CharSequence text) {
        int now = Shortest.completion(state);
        if (now >= Shortest.UNREACHABLE) {
            fail("a reachable state that cannot complete after " + text + " in " + where + ": " + state);
        }
        if (now == 0) {
            assertTrue(state.canEnd(), () -> "completion 0 where the output may not end: " + state + " after " + text);
            return;
        }
        for (int b = 0; b < 256; b++) {
            State next = state.step(b);
            if (next != null && Shortest.completion(next) <= now - 1) {
                return;
            }
        }
        fail("no byte shortens the completion (" + now + ") after " + text + " in " + where + ": " + state);
    }
}
