package dev.tooltune.model.serving;

import java.util.Set;

/**
 * Limits of a {@link ServingEngine}.
 *
 * @param maxRunningSequences  rows decoded together in one step; more requests wait
 * @param kvCacheBytes         budget for the running sequences' KV caches; a request is admitted only when its whole
 *                             cache (prompt + max new tokens) fits beside the others, and fails when it never could
 * @param maxSequenceLength    prompt + generated tokens of one request (0 = the model's max_position_embeddings)
 * @param prefixCacheBytes     budget for cached prompt prefixes (least recently used evicted first; 0 = off)
 * @param maxWaitingRequests   queue bound; {@link ServingEngine#submit} throws {@link java.util.concurrent.RejectedExecutionException} beyond it
 * @param stopTokenIds         tokens that end a generation (Gemma: {@code <eos>} 1, {@code <end_of_turn>} 106)
 * @param prefillChunkTokens   prompt tokens one prefill step runs (rows x longest chunk, padding included): bounds a
 *                             step's activations and how long running streams wait for a new prompt's prefill
 */
public record ServingConfig(int maxRunningSequences, long kvCacheBytes, int maxSequenceLength, long prefixCacheBytes,
                            int maxWaitingRequests, Set<Integer> stopTokenIds, int prefillChunkTokens) {

    public ServingConfig {
        if (maxRunningSequences < 1) {
            throw new IllegalArgumentException("maxRunningSequences must be >= 1, got " + maxRunningSequences);
        }
        if (kvCacheBytes < 1) {
            throw new IllegalArgumentException("kvCacheBytes must be > 0, got " + kvCacheBytes);
        }
        if (maxSequenceLength < 0 || prefixCacheBytes < 0 || maxWaitingRequests < 1) {
            throw new IllegalArgumentException("maxSequenceLength and prefixCacheBytes must be >= 0 and"
                    + " maxWaitingRequests >= 1, got " + maxSequenceLength + ", " + prefixCacheBytes + ", " + maxWaitingRequests);
        }
        if (prefillChunkTokens < 1) {
            throw new IllegalArgumentException("prefillChunkTokens must be >= 1, got " + prefillChunkTokens);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** 16 running sequences, 1 GiB of KV cache, the model's context, 256 MiB of prefixes, 1024 waiting, 512-token prefill steps. */
    public static ServingConfig defaults() {
        return new ServingConfig(16, 1L << 30, 0, 256L << 20, 1024, Set.of(1, 106), 512);
    }

    public ServingConfig withMaxRunningSequences(int n) {
        return new ServingConfig(n, kvCacheBytes, maxSequenceLength, prefixCacheBytes, maxWaitingRequests, stopTokenIds, prefillChunkTokens);
    }

    public ServingConfig withKvCacheBytes(long bytes) {
        return new ServingConfig(maxRunningSequences, bytes, maxSequenceLength, prefixCacheBytes, maxWaitingRequests, stopTokenIds, prefillChunkTokens);
    }

    public ServingConfig withMaxSequenceLength(int tokens) {
        return new ServingConfig(maxRunningSequences, kvCacheBytes, tokens, prefixCacheBytes, maxWaitingRequests, stopTokenIds, prefillChunkTokens);
    }

    public ServingConfig withPrefixCacheBytes(long bytes) {
        return new ServingConfig(maxRunningSequences, kvCacheBytes, maxSequenceLength, bytes, maxWaitingRequests, stopTokenIds, prefillChunkTokens);
    }

    public ServingConfig withStopTokens(Set<Integer> ids) {
        return new ServingConfig(maxRunningSequences, kvCacheBytes, maxSequenceLength, prefixCacheBytes, maxWaitingRequests, ids, prefillChunkTokens);
    }

    public ServingConfig withMaxWaitingRequests(int n) {
        return new ServingConfig(maxRunningSequences, kvCacheBytes, maxSequenceLength, prefixCacheBytes, n, stopTokenIds, prefillChunkTokens);
    }

    public ServingConfig withPrefillChunkTokens(int tokens) {
        return new ServingConfig(maxRunningSequences, kvCacheBytes, maxSequenceLength, prefixCacheBytes, maxWaitingRequests,
                stopTokenIds, tokens);
    }
}
