package dev.tooltune.model.serving;

/**
 * A snapshot of a {@link ServingEngine}: sequences running (prefilling or decoding) and waiting, KV cache bytes in
 * use and the budget, the prefix cache's size and hit counts, and totals since start (prefill steps: forward passes
 * over prompt chunks, each of one or several prompts).
 */
public record ServingStats(int running, int waiting, long kvBytesUsed, long kvBytesLimit, int prefixEntries,
                           long prefixBytes, long prefixHits, long prefixMisses, long tokensGenerated,
                           long requestsCompleted, long requestsFailed, long decodeSteps, int adaptersLoaded, long prefillSteps,
                           long prefillTokens) {
}
