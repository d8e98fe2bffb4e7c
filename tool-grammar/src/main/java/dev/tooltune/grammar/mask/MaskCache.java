package dev.tooltune.grammar.mask;

import dev.tooltune.grammar.automaton.Frame;
import dev.tooltune.grammar.automaton.LocalBottom;
import dev.tooltune.grammar.automaton.Shortest;
import dev.tooltune.grammar.automaton.State;
import dev.tooltune.grammar.automaton.StringFrame;
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
    private final Map<Frame, LocalRises> localRises = new ConcurrentHashMap<>();

    /**
     * A state's mask: the base (shared, never modified) plus extra token ids; and, computed when a token budget first
     * asks, what each token does to the shortest completion, so that the budget can drop the tokens that would not
     * leave room to finish.
     */
    public final class Mask {
        private final long[] base;
        private final int[] extras;
        private final Frame localKey;
        private final State below;
        private volatile Budget budget;

        Mask(long[] base, int[] extras, Frame localKey, State below) {
            this.base = base;
            this.extras = extras;
            this.localKey = localKey;
            this.below = below;
        }

        public long[] base() {
            return base;
        }

        public int[] extras() {
            return extras;
        }

        private Budget budget() {
            Budget known = budget;
            if (known == null) {
                known = budgetOf(localKey, below);
                budget = known;
            }
            return known;
        }

        /** Whether some token could leave a completion longer than {@code allowance} (so filtering is needed). */
        public boolean mayExceed(int now, int allowance) {
            Budget b = budget();
            return b.local().maxRise() > allowance - now || b.maxExtraAfter() > allowance;
        }

        /**
         * Clears from {@code out} every token after which the shortest completion would exceed {@code allowance},
         * given the current state's shortest completion {@code now}.
         */
        public void forbidBeyond(long[] out, int now, int allowance) {
            Budget b = budget();
            int slack = allowance - now;
            int[] exceptions = b.local().exceptions();
            int[] rises = b.local().exceptionRises();
            if (b.local().defaultRise() > slack) {
                // Tight: of the frame's own tokens, keep only the listed ones that shorten the completion enough.
                for (int w = 0; w < base.length; w++) {
                    out[w] &= ~base[w];
                }
                for (int i = 0; i < exceptions.length; i++) {
                    if (rises[i] <= slack) {
                        out[exceptions[i] >>> 6] |= 1L << exceptions[i];
                    }
                }
            } else if (b.local().maxRise() > slack) {
                for (int i = 0; i < exceptions.length; i++) {
                    if (rises[i] > slack) {
                        out[exceptions[i] >>> 6] &= ~(1L << exceptions[i]);
                    }
                }
            }
            if (b.maxExtraAfter() > allowance) {
                for (int i = 0; i < b.extras().length; i++) {
                    if (b.extrasAfter()[i] > allowance) {
                        out[b.extras()[i] >>> 6] &= ~(1L << b.extras()[i]);
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

    /** A mask's budget data: its frame's rises, and the shortest completion after each extra token. */
    private record Budget(LocalRises local, int[] extras, int[] extrasAfter, int maxExtraAfter) {}

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
        IntList extras = new IntList();
        walkExits(local, state.rest(), extras, null);
        mask = new Mask(localMask(local).accepted(), extras.toArray(), local, state.rest());
        if (memo.size() >= memoLimit) {
            memo.clear();
        }
        memo.put(key, mask);
        return mask;
    }

    /** Computes (and caches) the local mask of {@code frame}, and its token rises, now, so that no request pays for it later. */
    public void prepare(Frame frame) {
        localMask(frame.localKey());
        budgetOf(frame.localKey(), null);
    }

    public int memoSize() {
        return memo.size();
    }

    private LocalMask localMask(Frame frame) {
        Map<Frame, LocalMask> cache = frame.sharedLocal() ? vocabulary.sharedLocalMasks() : localMasks;
        LocalMask mask = cache.get(frame);
        if (mask == null) {
            mask = frame instanceof StringFrame string ? vocabulary.stringMasks().localMask(string) : computeLocal(frame);
            if (cache == localMasks && localMasks.size() >= localLimit) {
                localMasks.clear();
            }
            cache.put(frame, mask);
        }
        return mask;
    }

    /** The tokens of the exits of {@code local}'s mask over {@code below} (with the completion after each, if asked). */
    private void walkExits(Frame local, State below, IntList extras, IntList after) {
        LocalMask localMask = localMask(local);
        for (int i = 0; i < localMask.exitNodes().length && below != null; i++) {
            int node = localMask.exitNodes()[i];
            State next = localMask.exitConsumed()[i] ? below : below.step(trie.byteOf(node));
            if (next != null) {
                addTokens(node, next, extras, after);
                walk(node, next, extras, after);
            }
        }
    }

    private Budget budgetOf(Frame local, State below) {
        IntList extras = new IntList();
        IntList after = new IntList();
        walkExits(local, below, extras, after);
        int maxAfter = 0;
        for (int i = 0; i < after.size(); i++) {
            maxAfter = Math.max(maxAfter, after.get(i));
        }
        Map<Frame, LocalRises> cache = local.sharedLocal() ? vocabulary.sharedLocalRises() : localRises;
        LocalRises rises = cache.get(local);
        if (rises == null) {
            rises = local instanceof StringFrame string ? vocabulary.stringMasks().rises(string) : computeRises(local);
            if (cache == localRises && localRises.size() >= localLimit) {
                localRises.clear();
            }
            cache.put(local, rises);
        }
        return new Budget(rises, extras.toArray(), after.toArray(), maxAfter);
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

    /** The same walk as {@link #computeLocal}, recording each token's rise. */
    private LocalRises computeRises(Frame frame) {
        IntList tokens = new IntList();
        IntList rises = new IntList();
        State start = LocalBottom.STATE.push(frame);
        int base = Shortest.completion(start);
        if (base < Shortest.UNREACHABLE) {
            riseWalk(0, start, base, tokens, rises);
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
        return new LocalRises(defaultRise, exceptions.toArray(), exceptionRises.toArray(), Math.max(maxRise, defaultRise));
    }

    private void riseWalk(int node, State state, int base, IntList tokens, IntList rises) {
        for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
            State next = state.top().feed(state, trie.byteOf(child));
            if (next == null || next == State.REFEED || next == LocalBottom.STATE) {
                continue;
            }
            int start = trie.tokenStart(child);
            int end = trie.tokenEnd(child);
            if (start < end) {
                int rise = riseAfter(next, base);
                for (int i = start; i < end; i++) {
                    tokens.add(trie.token(i));
                    rises.add(rise);
                }
            }
            riseWalk(child, next, base, tokens, rises);
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
        int shortest = after == null ? 0 : Shortest.completion(state);
        for (int i = start; i < end; i++) {
            out.add(trie.token(i));
            if (after != null) {
                after.add(shortest);
            }
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
