package dev.tooltune.model.serving;

import dev.tooltune.chat.constraint.TokenConstraint;

/**
 * A token-level request to the {@link ServingEngine}.
 *
 * @param prompt             token ids, BOS included
 * @param cachePrefixLength  how many leading prompt tokens are shared with other requests (e.g. the tools block) and
 *                           worth caching; 0 = none. The prompt is prefilled in two chunks at this border whether the
 *                           prefix cache hits or not, so a hit gives exactly the logits of a cold run.
 * @param adapterId          a loaded adapter, or null for the base model
 * @param constraint         applied to this request's logits before sampling, or null
 * @param sink               told each accepted token, or null
 */
public record GenerationRequest(int[] prompt, int cachePrefixLength, String adapterId, Sampling sampling,
                                int maxNewTokens, TokenConstraint constraint, TokenSink sink) {

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("prompt is empty (it needs at least the BOS token)");
        }
        if (cachePrefixLength < 0 || cachePrefixLength > prompt.length) {
            throw new IllegalArgumentException("cachePrefixLength " + cachePrefixLength + " is outside [0, "
                    + prompt.length + "]");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        if (sampling == null) {
            sampling = Sampling.greedy();
        }
    }

    public static GenerationRequest greedy(int[] prompt, int maxNewTokens) {
        return new GenerationRequest(prompt, 0, null, Sampling.greedy(), maxNewTokens, null, null);
    }
}
