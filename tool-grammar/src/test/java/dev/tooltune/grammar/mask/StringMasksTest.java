package dev.tooltune.grammar.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.grammar.automaton.LocalBottom;
import dev.tooltune.grammar.automaton.Shortest;
import dev.tooltune.grammar.automaton.State;
import dev.tooltune.grammar.automaton.StringFrame;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import dev.tooltune.grammar.vocabulary.TokenTrie;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * String masks derived from one walk per character-in-progress state must equal what a walk of the trie with the
 * frame itself gives, for every remaining length: the accepted tokens, the exits, and each token's rise. A random
 * vocabulary of quotes, escapes, hex digits and UTF-8 pieces makes every branch of the string automaton appear.
 */
class StringMasksTest {
    private static final byte[] PIECES = "ab\"\\u0Dd9Fn/".getBytes(StandardCharsets.US_ASCII);

    @Test
    void derivedMasksEqualWalkedOnesForEveryRemainingLength() {
        long seed = Long.getLong("property.seed", new java.security.SecureRandom().nextLong());
        System.out.println("StringMasksTest seed: " + seed);
        Random random = new Random(seed);
        GrammarVocabulary vocabulary = new GrammarVocabulary(randomTokens(random, 4000));
        TokenTrie trie = vocabulary.trie();
        StringMasks derived = vocabulary.stringMasks();
        List<StringFrame> starts = new ArrayList<>(List.of(new StringFrame(0, -1, 0, 0, 0)));
        // Character-in-progress states, reached by feeding prefixes of tokens.
        for (int i = 0; i < 200; i++) {
            State state = LocalBottom.STATE.push(new StringFrame(0, -1, 0, 0, 0));
            byte[] bytes = randomToken(random);
            for (int j = 0; j < bytes.length && state != null && state.top() instanceof StringFrame; j++) {
                StringFrame frame = (StringFrame) state.top();
                if (frame.utf8() != 0 || frame.escape() != 0) {
                    starts.add(frame);
                }
                state = state.step(bytes[j] & 0xFF);
            }
        }
        int compared = 0;
        for (StringFrame start : starts) {
            for (int min = 0; min <= 6; min += 1 + random.nextInt(3)) {
                for (int max : new int[] {-1, 0, 1, 2, 3, 5, 8, 300}) {
                    if (max >= 0 && max < min || max == 0 && (start.utf8() != 0 || start.escape() != 0)) {
                        continue; // not reachable: a character in progress was started with room for it
                    }
                    StringFrame frame = new StringFrame(min, max, start.utf8(), start.escape(), start.hex());
                    LocalMask expected = walk(trie, frame);
                    LocalMask actual = derived.localMask(frame);
                    assertArrayEquals(expected.accepted(), actual.accepted(), frame + " accepted");
                    assertArrayEquals(sorted(expected.exitNodes()), sorted(actual.exitNodes()), frame + " exits");
                    TreeMap<Integer, Integer> walked = rises(trie, frame);
                    TreeMap<Integer, Integer> derivedRises = risesOf(derived.rises(frame), expected.accepted());
                    for (var entry : walked.entrySet()) {
                        assertEquals(entry.getValue(), derivedRises.get(entry.getKey()), frame + " rise of token " + entry.getKey());
                    }
                    assertEquals(walked.keySet(), derivedRises.keySet(), frame + " tokens with a rise");
                    compared++;
                }
            }
        }
        assertTrue(compared > 100, "compared " + compared);
        assertTrue(derived.size() <= StringMasks.LIMIT);
    }

    @Test
    void profilesAreBoundedAndSafeToShareAcrossThreads() throws Exception {
        Random random = new Random(7);
        GrammarVocabulary vocabulary = new GrammarVocabulary(randomTokens(random, 2000));
        StringMasks masks = vocabulary.stringMasks();
        List<StringFrame> frames = new ArrayList<>();
        for (int hex = 0; hex < StringMasks.LIMIT + 50; hex++) {
            frames.add(new StringFrame(0, 10, 0, 4, hex)); // distinct \\u escapes in progress: distinct profiles
        }
        LocalMask reference = walk(vocabulary.trie(), frames.get(3));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (StringFrame frame : frames) {
                        masks.localMask(frame);
                        assertArrayEquals(reference.accepted(), masks.localMask(frames.get(3)).accepted());
                    }
                }));
            }
            for (var future : done) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(masks.size() <= StringMasks.LIMIT, "profiles kept: " + masks.size());
    }

    private static byte[][] randomTokens(Random random, int count) {
        byte[][] tokens = new byte[count + 256][];
        for (int b = 0; b < 256; b++) {
            tokens[b] = new byte[] {(byte) b};
        }
        for (int i = 256; i < tokens.length; i++) {
            tokens[i] = randomToken(random);
        }
        return tokens;
    }

    private static byte[] randomToken(Random random) {
        int length = 1 + random.nextInt(7);
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            bytes[i] = kind < 7 ? PIECES[random.nextInt(PIECES.length)]
                    : kind == 7 ? (byte) (0xC3 + random.nextInt(2)) // lead of a 2-byte character
                    : kind == 8 ? (byte) (0xE2) // lead of a 3-byte character
                    : (byte) (0x80 + random.nextInt(64)); // continuation
        }
        return bytes;
    }

    /** The reference: a walk of the trie with the frame alone on the stack (what MaskCache does for other frames). */
    private static LocalMask walk(TokenTrie trie, StringFrame frame) {
        long[] accepted = new long[trie.maskWords()];
        MaskCache.IntList exits = new MaskCache.IntList();
        walk(trie, 0, LocalBottom.STATE.push(frame), accepted, exits);
        return new LocalMask(accepted, exits.toArray(), new boolean[exits.size()]);
    }

    private static void walk(TokenTrie trie, int node, State state, long[] accepted, MaskCache.IntList exits) {
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.step(trie.byteOf(child));
            if (next == null) {
                continue;
            }
            if (next == LocalBottom.STATE || next == State.REFEED) {
                exits.add(child);
                continue;
            }
            for (int i = trie.tokenStart(child); i < trie.tokenEnd(child); i++) {
                accepted[trie.token(i) >>> 6] |= 1L << trie.token(i);
            }
            walk(trie, child, next, accepted, exits);
        }
    }

    /** Each accepted token's rise (clamped at -1), by token. */
    private static TreeMap<Integer, Integer> rises(TokenTrie trie, StringFrame frame) {
        TreeMap<Integer, Integer> rises = new TreeMap<>();
        State start = LocalBottom.STATE.push(frame);
        rises(trie, 0, start, Shortest.completion(start), rises);
        return rises;
    }

    private static void rises(TokenTrie trie, int node, State state, int base, TreeMap<Integer, Integer> out) {
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.step(trie.byteOf(child));
            if (next == null || next == LocalBottom.STATE || next == State.REFEED) {
                continue;
            }
            for (int i = trie.tokenStart(child); i < trie.tokenEnd(child); i++) {
                out.put(trie.token(i), Math.max(-1, Shortest.completion(next) - base));
            }
            rises(trie, child, next, base, out);
        }
    }

    /** The rises a LocalRises gives, by token: the listed exceptions, the default for the other accepted tokens. */
    private static TreeMap<Integer, Integer> risesOf(LocalRises rises, long[] accepted) {
        TreeMap<Integer, Integer> out = new TreeMap<>();
        for (int w = 0; w < accepted.length; w++) {
            for (long word = accepted[w]; word != 0; word &= word - 1) {
                out.put(w << 6 | Long.numberOfTrailingZeros(word), rises.defaultRise());
            }
        }
        int max = rises.defaultRise();
        for (int i = 0; i < rises.exceptions().length; i++) {
            out.put(rises.exceptions()[i], rises.exceptionRises()[i]);
            max = Math.max(max, rises.exceptionRises()[i]);
        }
        assertEquals(max, rises.maxRise(), "maxRise");
        return out;
    }

    private static int[] sorted(int[] values) {
        int[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
