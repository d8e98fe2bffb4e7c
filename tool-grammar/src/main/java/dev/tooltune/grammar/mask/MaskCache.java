package dev.tooltune.grammar.mask;

import dev.tooltune.grammar.automaton.Frame;
import dev.tooltune.grammar.automaton.LocalBottom;
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

    /** A state's mask: the base (shared, never modified) plus extra token ids. */
    public record Mask(long[] base, int[] extras) {
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
        State below = state.rest();
        for (int i = 0; i < localMask.exitNodes().length; i++) {
            if (below == null) {
                break;
            }
            int node = localMask.exitNodes()[i];
            State after = localMask.exitConsumed()[i] ? below : below.step(trie.byteOf(node));
            if (after != null) {
                addTokens(node, extras);
                walk(node, after, extras);
            }
        }
        mask = new Mask(localMask.accepted(), extras.toArray());
        if (memo.size() >= memoLimit) {
            memo.clear();
        }
        memo.put(key, mask);
        return mask;
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
        localWalk(0, LocalBottom.STATE.push(frame), accepted, exitNodes, exitConsumed);
        boolean[] consumed = new boolean[exitConsumed.size()];
        for (int i = 0; i < consumed.length; i++) {
            consumed[i] = exitConsumed.get(i) != 0;
        }
        return new LocalMask(accepted, exitNodes.toArray(), consumed);
    }

    private void localWalk(int node, State state, long[] accepted, IntList exitNodes, IntList exitConsumed) {
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.top().feed(state, trie.byteOf(child));
            if (next == null) {
                continue;
            }
            if (next == State.REFEED || next == LocalBottom.STATE) {
                exitNodes.add(child);
                exitConsumed.add(next == LocalBottom.STATE ? 1 : 0);
                continue;
            }
            for (int i = trie.tokenStart(child); i < trie.tokenEnd(child); i++) {
                int token = trie.token(i);
                accepted[token >>> 6] |= 1L << token;
            }
            localWalk(child, next, accepted, exitNodes, exitConsumed);
        }
    }

    private void walk(int node, State state, IntList out) {
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.step(trie.byteOf(child));
            if (next != null) {
                addTokens(child, out);
                walk(child, next, out);
            }
        }
    }

    private void addTokens(int node, IntList out) {
        for (int i = trie.tokenStart(node); i < trie.tokenEnd(node); i++) {
            out.add(trie.token(i));
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
