package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.grammar.automaton.PatternFrame;
import dev.tooltune.grammar.regex.PatternMachine;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Compiling a grammar computes the masks of its patterns' states (those reached by ASCII characters), so that the
 * serving thread never walks the token trie for them. Catches a compile that forgets them (the first visit of each
 * state would walk the whole trie mid-generation, which bench/grammar.sh showed as a p99 of milliseconds).
 */
class PreparedPatternMasksTest {

    @Test
    void compilingAToolSetComputesItsPatternStatesMasks() throws Exception {
        byte[][] tokens = new byte[256 + 4][];
        for (int b = 0; b < 256; b++) {
            tokens[b] = new byte[] {(byte) b};
        }
        String[] more = {"Q12", "34-", "\"}", "-a\""};
        for (int i = 0; i < more.length; i++) {
            tokens[256 + i] = more[i].getBytes(StandardCharsets.UTF_8);
        }
        GrammarVocabulary vocabulary = new GrammarVocabulary(tokens);
        ConstrainedDecoding decoding = new ConstrainedDecoding(vocabulary, ConstrainedDecoding.Options.DEFAULTS);
        String pattern = "^Q[0-9]{3}-[a-c]$";
        var parameters = ChatJson.MAPPER.readTree("{\"type\": \"object\", \"properties\": {\"code\": {\"type\": \"string\","
                + " \"pattern\": \"" + pattern + "\"}}, \"required\": [\"code\"]}");
        PatternMachine machine = PatternMachine.ofPattern(pattern);
        List<Integer> states = machine.asciiStates(1000);
        assertTrue(states.size() >= 6, "states: " + states);
        for (int state : states) {
            assertFalse(vocabulary.sharedLocalMasks().containsKey(new PatternFrame(machine, state, 0, 0, 0)));
        }
        decoding.toolGrammar(List.of(ToolDefinition.function("lookup", "test", parameters)), ToolChoice.REQUIRED, true);
        for (int state : states) {
            assertTrue(vocabulary.sharedLocalMasks().containsKey(new PatternFrame(machine, state, 0, 0, 0)),
                    "no mask for pattern state " + state + " after compiling");
            assertTrue(vocabulary.sharedLocalRises().containsKey(new PatternFrame(machine, state, 0, 0, 0)),
                    "no token rises for pattern state " + state + " after compiling");
        }
    }
}
