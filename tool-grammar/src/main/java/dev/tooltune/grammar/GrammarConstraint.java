package dev.tooltune.grammar;

import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.grammar.automaton.OutputFrame;
import dev.tooltune.grammar.automaton.Shortest;
import dev.tooltune.grammar.mask.MaskCache;
import dev.tooltune.grammar.automaton.State;
import java.util.Arrays;

/**
 * One request's position in its {@link Grammar}: the masks it hands the decoder and the state it advances per token.
 * Not thread-safe (one decoding loop drives it), as {@link TokenConstraint} says.
 */
public final class GrammarConstraint implements TokenConstraint {
    private final Grammar grammar;
    private State state;
    private boolean stopped;
    private int accepted;

    GrammarConstraint(Grammar grammar, State initial) {
        this.grammar = grammar;
        this.state = initial;
    }

    @Override
    public void allowedTokens(long[] mask) {
        if (stopped) {
            Arrays.fill(mask, 0L);
            return;
        }
        grammar.masks().mask(state).writeTo(mask);
        if (state.canEnd()) {
            for (int stop : grammar.vocabulary().stopTokens()) {
                mask[stop >>> 6] |= 1L << stop;
            }
        }
    }

    /**
     * Keeps the output completable within {@code tokensLeft}: a token is allowed only if the shortest completion after
     * it (in bytes, each a token at worst; see {@link Shortest}) fits in the tokens left after it, less one for the
     * end-of-turn token.
     */
    @Override
    public void allowedTokens(long[] mask, int tokensLeft) {
        allowedTokens(mask);
        if (stopped) {
            return;
        }
        int now = Shortest.completion(state);
        int allowance = tokensLeft - 2;
        MaskCache.Mask allowed = grammar.masks().mask(state);
        if (now >= Shortest.UNREACHABLE || now > allowance + 1 || !allowed.mayExceed(now, allowance)) {
            return; // nothing to enforce, or too late for any completion (the output ends by length)
        }
        long[] unbudgeted = mask.clone();
        allowed.forbidBeyond(mask, now, allowance);
        for (long word : mask) {
            if (word != 0) {
                return;
            }
        }
        // Too few tokens left for any completion: keep the grammar's mask, the output ends by length.
        System.arraycopy(unbudgeted, 0, mask, 0, mask.length);
    }

    /** The shortest completion of the output so far, in bytes (an upper bound on the tokens it needs). */
    public int shortestCompletion() {
        return stopped ? 0 : Shortest.completion(state);
    }

    @Override
    public void accept(int token) {
        if (stopped) {
            throw new IllegalStateException("token " + token + " after the output ended");
        }
        if (grammar.vocabulary().isStop(token)) {
            if (!state.canEnd()) {
                throw new IllegalStateException("stop token " + token + " at token " + accepted
                        + ", where the output is not complete (" + state + ")");
            }
            stopped = true;
            accepted++;
            return;
        }
        byte[] bytes = token >= 0 && token < grammar.vocabulary().vocabSize() ? grammar.vocabulary().bytes(token) : null;
        if (bytes == null) {
            throw new IllegalStateException("token " + token + " is a control token or outside the vocabulary");
        }
        State next = state;
        for (int i = 0; i < bytes.length && next != null; i++) {
            next = next.step(bytes[i] & 0xFF);
        }
        if (next == null) {
            throw new IllegalStateException("token " + token + " is not allowed at token " + accepted + " (" + state + ")");
        }
        state = next;
        accepted++;
    }

    @Override
    public boolean canStop() {
        return stopped || state.canEnd();
    }

    @Override
    public boolean isDone() {
        return stopped || state.rest() == null && state.top() instanceof OutputFrame output && output.finished();
    }

    /** Whether {@code token} may come next (a check without filling a mask). */
    public boolean allows(int token) {
        if (stopped) {
            return false;
        }
        if (grammar.vocabulary().isStop(token)) {
            return state.canEnd();
        }
        return grammar.masks().mask(state).allows(token);
    }

    /** Tokens accepted so far. */
    public int acceptedTokens() {
        return accepted;
    }

    public Grammar grammar() {
        return grammar;
    }
}
