package dev.tooltune.grammar.mask;

import dev.tooltune.grammar.automaton.Frame;
import dev.tooltune.grammar.automaton.LocalBottom;
import dev.tooltune.grammar.automaton.Shortest;
import dev.tooltune.grammar.automaton.State;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import dev.tooltune.grammar.vocabulary.TokenTrie;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token masks of one grammar, in two layers (the XGrammar idea). A frame's local mask is computed once by walking the
 * token trie with the frame alone on the stack: tokens that stay inside the frame are decided there, and the places
 * where the frame finishes are kept as exits. The mask of a state is then that local mask plus the tokens found by
 * walking each exit's subtree with the real frames below, memoised per (frame, stack below): JSON revisits the same
 * states (every token inside a string leaves the state as it was), so most steps are a lookup and a copy.
 * Thread-safe; both caches are bounded.
 */
public final class MaskCache {
    private final GrammarVocabulary vocabulary;
    private final TokenTrie trie;
    private final int localLimit;
    private final int memoLimit;
    private final Map<Frame, LocalMask> localMasks = new ConcurrentHashMap<>();
    private final Map<MemoKey, Mask> memo = new ConcurrentHashMap<>();

    /**
     * A state's mask: the base (shared, never modified) plus extra token ids; with what each token does to the
     * shortest completion, so that a budget can drop the tokens that would not leave room to finish.
     *
     * @param local the frame-local mask the base comes from (its rising tokens)
     * @param extrasAfter for each extra token, the shortest completion of the state after it
     */
    public record Mask(long[] base, int[] extras, LocalMask local, int[] extrasAfter, int maxExtraAfter) {

        /**
         * Clears from {@code out} every token after which the shortest completion would exceed {@code allowance},
         * given the current state's shortest completion {@code now}.
         */
        /** Whether some token could leave a completion longer than {@code allowance} (so filtering is needed). */
        public boolean mayExceed(int now, int allowance) {
            return local.maxRise() > allowance - now || maxExtraAfter > allowance;
        }

        public void forbidBeyond(long[] out, int now, int allowance) {
            int slack = allowance - now;
            int[] exceptions = local.exceptions();
            int[] rises = local.exceptionRises();
            if (local.defaultRise() > slack) {
                // Tight: of the frame's own tokens, keep only the listed ones that shorten the completion enough.
                for (int w = 0; w < base.length; w++) {
                    out[w] &= ~base[w];
                }
                for (int i = 0; i < exceptions.length; i++) {
                    if (rises[i] <= slack) {
                        out[exceptions[i] >>> 6] |= 1L << exceptions[i];
                    }
                }
            } else if (local.maxRise() > slack) {
                for (int i = 0; i < exceptions.length; i++) {
                    if (rises[i] > slack) {
                        out[exceptions[i] >>> 6] &= ~(1L << exceptions[i]);
                    }
                }
            }
            if (maxExtraAfter > allowance) {
                for (int i = 0; i < extras.length; i++) {
                    if (extrasAfter[i] > allowance) {
                        out[extras[i] >>> 6] &= ~(1L << extras[i]);
                    }
                }
            }
        }

        /** Writes this mask into {@code out} (all other bits cleared). */
        public void writeTo(long[] out) {
            System.arraycopy(base, 0, out, 0, base.length);
            if (out.length > base.length) {
                Arrays.fill(out, base.length, out.length, 0L);
            }
            for (int token : extras) {
                out[token >>> 6] |= 1L << token;
            }
        }

        public boolean allows(int token) {
            if ((base[token >>> 6] & (1L << token)) != 0) {
                return true;
            }
            for (int extra : extras) {
                if (extra == token) {
                    return true;
                }
            }
            return false;
        }

        public int count() {
            int count = extras.length;
            for (long word : base) {
                count += Long.bitCount(word);
            }
            return count;
        }
    }

    private record MemoKey(Frame local, State below) {}

    public MaskCache(GrammarVocabulary vocabulary, int localLimit, int memoLimit) {
        this.vocabulary = vocabulary;
        this.trie = vocabulary.trie();
        this.localLimit = localLimit;
        this.memoLimit = memoLimit;
    }

    /** The text tokens allowed in {@code state} (stop tokens are the caller's). */
    public Mask mask(State state) {
        Frame local = state.top().localKey();
        MemoKey key = new MemoKey(local, state.rest());
        Mask mask = memo.get(key);
        if (mask != null) {
            return mask;
        }
        LocalMask localMask = localMask(local);
        IntList extras = new IntList();
        IntList extrasAfter = new IntList();
        State below = state.rest();
        for (int i = 0; i < localMask.exitNodes().length; i++) {
            if (below == null) {
                break;
            }
            int node = localMask.exitNodes()[i];
            State after = localMask.exitConsumed()[i] ? below : below.step(trie.byteOf(node));
            if (after != null) {
                addTokens(node, after, extras, extrasAfter);
                walk(node, after, extras, extrasAfter);
            }
        }
        int maxAfter = 0;
        for (int i = 0; i < extrasAfter.size(); i++) {
            maxAfter = Math.max(maxAfter, extrasAfter.get(i));
        }
        mask = new Mask(localMask.accepted(), extras.toArray(), localMask, extrasAfter.toArray(), maxAfter);
        if (memo.size() >= memoLimit) {
            memo.clear();
        }
        memo.put(key, mask);
        return mask;
    }

    /** Computes (and caches) the local mask of {@code frame} now, so that no request pays for it later. */
    public void prepare(Frame frame) {
        localMask(frame.localKey());
    }

    public int memoSize() {
        return memo.size();
    }

    private LocalMask localMask(Frame frame) {
        Map<Frame, LocalMask> cache = frame.sharedLocal() ? vocabulary.sharedLocalMasks() : localMasks;
        LocalMask mask = cache.get(frame);
        if (mask == null) {
            mask = computeLocal(frame);
            if (cache == localMasks && localMasks.size() >= localLimit) {
                localMasks.clear();
            }
            cache.put(frame, mask);
        }
        return mask;
    }

    private LocalMask computeLocal(Frame frame) {
        long[] accepted = new long[trie.maskWords()];
        IntList exitNodes = new IntList();
        IntList exitConsumed = new IntList();
        IntList tokens = new IntList();
        IntList rises = new IntList();
        State start = LocalBottom.STATE.push(frame);
        LocalWalk walk = new LocalWalk(accepted, exitNodes, exitConsumed, tokens, rises, Shortest.completion(start));
        localWalk(0, start, walk);
        boolean[] consumed = new boolean[exitConsumed.size()];
        for (int i = 0; i < consumed.length; i++) {
            consumed[i] = exitConsumed.get(i) != 0;
        }
        int falling = 0;
        int flat = 0;
        int maxRise = -1;
        for (int i = 0; i < rises.size(); i++) {
            int rise = rises.get(i);
            falling += rise < 0 ? 1 : 0;
            flat += rise == 0 ? 1 : 0;
            maxRise = Math.max(maxRise, rise);
        }
        int defaultRise = falling > flat ? -1 : 0;
        IntList exceptions = new IntList();
        IntList exceptionRises = new IntList();
        for (int i = 0; i < rises.size(); i++) {
            if (rises.get(i) != defaultRise) {
                exceptions.add(tokens.get(i));
                exceptionRises.add(rises.get(i));
            }
        }
        return new LocalMask(accepted, exitNodes.toArray(), consumed, defaultRise, exceptions.toArray(),
                exceptionRises.toArray(), Math.max(maxRise, defaultRise));
    }

    /** What a local walk collects: each accepted token with its rise; {@code base}: the frame's own completion. */
    private record LocalWalk(long[] accepted, IntList exitNodes, IntList exitConsumed, IntList tokens, IntList rises,
                             int base) {}

    private void localWalk(int node, State state, LocalWalk out) {
        long[] accepted = out.accepted();
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.top().feed(state, trie.byteOf(child));
            if (next == null) {
                continue;
            }
            if (next == State.REFEED || next == LocalBottom.STATE) {
                out.exitNodes().add(child);
                out.exitConsumed().add(next == LocalBottom.STATE ? 1 : 0);
                continue;
            }
            int start = trie.tokenStart(child);
            int end = trie.tokenEnd(child);
            int rise = start < end && out.base() < Shortest.UNREACHABLE ? riseAfter(next, out.base()) : 0;
            for (int i = start; i < end; i++) {
                int token = trie.token(i);
                accepted[token >>> 6] |= 1L << token;
                out.tokens().add(token);
                out.rises().add(rise);
            }
            localWalk(child, next, out);
        }
    }

    /** The rise of a token that leads to {@code next}, clamped below at -1. */
    private static int riseAfter(State next, int base) {
        int after = Shortest.completion(next);
        return after >= Shortest.UNREACHABLE ? Shortest.UNREACHABLE : Math.max(-1, after - base);
    }

    private void walk(int node, State state, IntList out, IntList after) {
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.step(trie.byteOf(child));
            if (next != null) {
                addTokens(child, next, out, after);
                walk(child, next, out, after);
            }
        }
    }

    private void addTokens(int node, State state, IntList out, IntList after) {
        int start = trie.tokenStart(node);
        int end = trie.tokenEnd(node);
        if (start == end) {
            return;
        }
        int shortest = Shortest.completion(state);
        for (int i = start; i < end; i++) {
            out.add(trie.token(i));
            after.add(shortest);
        }
    }

    /** A growable int array, to keep hot loops free of boxing. */
    static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int get(int i) {
            return values[i];
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
