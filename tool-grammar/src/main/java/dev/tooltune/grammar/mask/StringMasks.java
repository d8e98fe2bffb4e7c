package dev.tooltune.grammar.mask;

import dev.tooltune.grammar.automaton.LocalBottom;
import dev.tooltune.grammar.automaton.State;
import dev.tooltune.grammar.automaton.StringFrame;
import dev.tooltune.grammar.vocabulary.TokenTrie;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Local masks and token rises of plain string frames, derived instead of walked. A string's {@code minLength} and
 * {@code maxLength} only decide how many characters a token may touch before the closing quote, so one walk of the
 * vocabulary trie per character-in-progress state ({@code utf8}, {@code escape}, {@code hex}) with no length limits
 * records, for every token, the characters it touches and the bytes it leaves pending; the mask of any
 * (minRemaining, maxRemaining) is then a prefix of those tokens sorted by characters touched, and its exits those
 * quotes reached after enough characters. Without this, every distinct remaining length (a {@code maxLength: 120}
 * string has 120 of them) cost a walk of the whole 262,144-token trie on the serving thread.
 * Shared by all grammars of a vocabulary; thread-safe; at most {@value #LIMIT} profiles are kept.
 */
public final class StringMasks {
    static final int LIMIT = 256;

    private final TokenTrie trie;
    private final Map<StringFrame, Profile> profiles = new ConcurrentHashMap<>();

    /**
     * One walk's result for a character-in-progress state.
     *
     * @param pending 1 when the start state is inside a character (its completion touches it), else 0
     * @param whole tokens that end between characters, sorted by characters touched; {@code wholeStart[k]} is the
     *     first with more than {@code k - 1}
     * @param partTokens tokens that end inside a character, with the characters touched and the bytes left pending
     * @param free the mask with no length limits
     * @param exitNodes trie nodes of the closing quote, with the characters touched before it
     */
    private record Profile(int pending, int[] whole, int[] wholeStart, int[] partTokens, int[] partTouched,
            int[] partPending, long[] free, int[] exitNodes, int[] exitTouched) {}

    public StringMasks(TokenTrie trie) {
        this.trie = trie;
    }

    /** The local mask of {@code frame} (a local key: remaining lengths saturated). */
    public LocalMask localMask(StringFrame frame) {
        Profile profile = profile(frame);
        int limit = limit(frame, profile);
        long[] accepted;
        if (limit >= profile.wholeStart().length - 1) {
            accepted = profile.free();
        } else {
            int wholeEnd = profile.wholeStart()[limit + 1];
            accepted = new long[profile.free().length];
            if (wholeEnd * 2 < profile.whole().length) {
                for (int i = 0; i < wholeEnd; i++) {
                    set(accepted, profile.whole()[i]);
                }
            } else {
                System.arraycopy(profile.free(), 0, accepted, 0, accepted.length);
                for (int i = wholeEnd; i < profile.whole().length; i++) {
                    clear(accepted, profile.whole()[i]);
                }
            }
            for (int i = 0; i < profile.partTokens().length; i++) {
                if (profile.partTouched()[i] <= limit) {
                    set(accepted, profile.partTokens()[i]);
                } else {
                    clear(accepted, profile.partTokens()[i]);
                }
            }
        }
        MaskCache.IntList exits = new MaskCache.IntList();
        for (int i = 0; i < profile.exitNodes().length; i++) {
            int touched = profile.exitTouched()[i];
            if (touched <= limit && touched >= frame.minRemaining()) {
                exits.add(profile.exitNodes()[i]);
            }
        }
        boolean[] consumed = new boolean[exits.size()];
        Arrays.fill(consumed, true);
        return new LocalMask(accepted, exits.toArray(), consumed);
    }

    /** The token rises of {@code frame}'s local mask (see {@link LocalRises}), from the same profile. */
    public LocalRises rises(StringFrame frame) {
        Profile profile = profile(frame);
        int limit = limit(frame, profile);
        int base = frame.shortestFinish();
        // A token that ends between characters finishes that many characters: one rise for all of them.
        int wholeRise = profile.pending() == 1 || frame.minRemaining() > 0 ? -1 : 0;
        int wholeCount = profile.wholeStart()[Math.min(limit + 1, profile.wholeStart().length - 1)];
        MaskCache.IntList partTokens = new MaskCache.IntList();
        MaskCache.IntList partRises = new MaskCache.IntList();
        int falling = wholeRise < 0 ? wholeCount : 0;
        int flat = wholeRise == 0 ? wholeCount : 0;
        int maxRise = wholeCount > 0 ? wholeRise : -1;
        for (int i = 0; i < profile.partTokens().length; i++) {
            if (profile.partTouched()[i] > limit) {
                continue;
            }
            int completed = profile.partTouched()[i] - 1;
            int min = Math.max(0, frame.minRemaining() - completed);
            int after = profile.partPending()[i] + Math.max(0, min - 1) + 1;
            int rise = Math.max(-1, after - base);
            partTokens.add(profile.partTokens()[i]);
            partRises.add(rise);
            falling += rise < 0 ? 1 : 0;
            flat += rise == 0 ? 1 : 0;
            maxRise = Math.max(maxRise, rise);
        }
        int defaultRise = falling > flat ? -1 : 0;
        MaskCache.IntList exceptions = new MaskCache.IntList();
        MaskCache.IntList exceptionRises = new MaskCache.IntList();
        if (wholeRise != defaultRise) {
            for (int i = 0; i < wholeCount; i++) {
                exceptions.add(profile.whole()[i]);
                exceptionRises.add(wholeRise);
            }
        }
        for (int i = 0; i < partTokens.size(); i++) {
            if (partRises.get(i) != defaultRise) {
                exceptions.add(partTokens.get(i));
                exceptionRises.add(partRises.get(i));
            }
        }
        return new LocalRises(defaultRise, exceptions.toArray(), exceptionRises.toArray(), Math.max(maxRise, defaultRise));
    }

    /** Profiles kept (for tests). */
    public int size() {
        return profiles.size();
    }

    /** The most characters a token may touch in {@code frame}: a new character needs room, finishing one does not. */
    private static int limit(StringFrame frame, Profile profile) {
        return frame.maxRemaining() < 0 ? Integer.MAX_VALUE - 1 : Math.max(frame.maxRemaining(), profile.pending());
    }

    private Profile profile(StringFrame frame) {
        StringFrame start = new StringFrame(0, -1, frame.utf8(), frame.escape(), frame.hex());
        Profile profile = profiles.get(start);
        if (profile == null) {
            profile = walk(start);
            if (profiles.size() >= LIMIT) {
                profiles.clear();
            }
            profiles.put(start, profile);
        }
        return profile;
    }

    private Profile walk(StringFrame start) {
        int pending = start.utf8() != 0 || start.escape() != 0 ? 1 : 0;
        Walk walk = new Walk();
        walk.visit(0, LocalBottom.STATE.push(start), pending);
        int maxTouched = 0;
        for (int i = 0; i < walk.wholeTouched.size(); i++) {
            maxTouched = Math.max(maxTouched, walk.wholeTouched.get(i));
        }
        for (int i = 0; i < walk.partTouched.size(); i++) {
            maxTouched = Math.max(maxTouched, walk.partTouched.get(i));
        }
        // Counting sort of the whole-character tokens by characters touched.
        int[] wholeStart = new int[maxTouched + 2];
        for (int i = 0; i < walk.wholeTouched.size(); i++) {
            wholeStart[walk.wholeTouched.get(i) + 1]++;
        }
        for (int k = 1; k < wholeStart.length; k++) {
            wholeStart[k] += wholeStart[k - 1];
        }
        int[] whole = new int[walk.wholeTokens.size()];
        int[] next = Arrays.copyOf(wholeStart, wholeStart.length);
        for (int i = 0; i < whole.length; i++) {
            whole[next[walk.wholeTouched.get(i)]++] = walk.wholeTokens.get(i);
        }
        // wholeStart[k] counts tokens touching fewer than k characters: the prefix allowed under a limit of k - 1.
        return new Profile(pending, whole, wholeStart, walk.partTokens.toArray(), walk.partTouched.toArray(),
                walk.partPending.toArray(), walk.free, walk.exitNodes.toArray(), walk.exitTouched.toArray());
    }

    private final class Walk {
        final long[] free = new long[trie.maskWords()];
        final MaskCache.IntList wholeTokens = new MaskCache.IntList();
        final MaskCache.IntList wholeTouched = new MaskCache.IntList();
        final MaskCache.IntList partTokens = new MaskCache.IntList();
        final MaskCache.IntList partTouched = new MaskCache.IntList();
        final MaskCache.IntList partPending = new MaskCache.IntList();
        final MaskCache.IntList exitNodes = new MaskCache.IntList();
        final MaskCache.IntList exitTouched = new MaskCache.IntList();

        void visit(int node, State state, int touched) {
            StringFrame frame = (StringFrame) state.top();
            boolean between = frame.utf8() == 0 && frame.escape() == 0;
            for (int child = trie.firstChild(node); child >= 0; child = trie.nextSibling(child)) {
                int b = trie.byteOf(child);
                State next = state.step(b);
                if (next == null) {
                    continue;
                }
                if (next == LocalBottom.STATE) {
                    exitNodes.add(child);
                    exitTouched.add(touched);
                    continue;
                }
                int now = between ? touched + 1 : touched;
                StringFrame after = (StringFrame) next.top();
                int left = after.shortestFinish() - 1; // bytes pending: the frame has no characters still required
                for (int i = trie.tokenStart(child); i < trie.tokenEnd(child); i++) {
                    int token = trie.token(i);
                    set(free, token);
                    if (left == 0) {
                        wholeTokens.add(token);
                        wholeTouched.add(now);
                    } else {
                        partTokens.add(token);
                        partTouched.add(now);
                        partPending.add(left);
                    }
                }
                visit(child, next, now);
            }
        }
    }

    private static void set(long[] mask, int token) {
        mask[token >>> 6] |= 1L << token;
    }

    private static void clear(long[] mask, int token) {
        mask[token >>> 6] &= ~(1L << token);
    }
}
