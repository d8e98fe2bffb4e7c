package dev.tooltune.grammar;

import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.grammar.automaton.OutputFrame;
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
