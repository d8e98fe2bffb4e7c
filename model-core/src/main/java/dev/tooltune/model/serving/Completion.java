package dev.tooltune.model.serving;

/**
 * What a {@link GenerationRequest} produced: the generated tokens (the stop token excluded), why it ended, the prompt
 * length and the time from submission to the first token.
 */
public record Completion(int[] tokens, FinishReason finishReason, Integer stopToken, int promptTokens,
                         long timeToFirstTokenNanos, boolean prefixCacheHit) {
}
