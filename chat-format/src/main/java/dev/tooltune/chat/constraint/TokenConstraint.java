package dev.tooltune.chat.constraint;

/**
 * What one generation may produce next, token by token: the seam between a grammar (tool calls that must parse and
 * match their schema, JSON for {@code response_format}) and a decoder that samples. One instance per request; it is
 * stateful and not thread-safe (one decoding loop drives it).
 *
 * <p>The decoder calls, at every step: {@link #allowedTokens} to mask the logits, samples a token among those allowed,
 * then {@link #accept} with it. End of output (the end-of-turn token) may be chosen only where {@link #canStop()} is
 * true; after {@link #isDone()} becomes true the decoder must end the output.
 */
public interface TokenConstraint {

    /**
     * Sets bit {@code t} (word {@code t >>> 6}, bit {@code t & 63}) of {@code mask} for every token id {@code t} that
     * may come next, and clears every other bit. {@code mask.length} is {@code ceil(vocabSize / 64)}.
     */
    void allowedTokens(long[] mask);

    /**
     * Like {@link #allowedTokens(long[])}, for a decoder that will sample at most {@code tokensLeft} more tokens, this
     * one and the end-of-turn token included ({@code max_tokens} minus what it generated). A constraint that can
     * then leaves out the tokens after which what it requires (a tool call's closing) could no longer be written in
     * time, so a generation that has room for its output always completes it. Where the budget is too small for
     * even the shortest completion, nothing more is removed (generation ends by length).
     */
    default void allowedTokens(long[] mask, int tokensLeft) {
        allowedTokens(mask);
    }

    /** Advances past {@code token}, which must have been allowed; throws {@link IllegalStateException} otherwise. */
    void accept(int token);

    /** Whether the output may end here (the end-of-turn token is then allowed too). */
    boolean canStop();

    /** Whether nothing more may follow: the decoder ends the output now. */
    boolean isDone();
}
