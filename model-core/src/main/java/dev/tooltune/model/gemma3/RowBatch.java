package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Continuous batching's view of one forward pass: row r attends over its own single-row cache, and only its first
 * {@code lengths[r]} of the T tokens are real (a batch of prefill chunks of different lengths, right-padded; decode
 * steps have length 1 everywhere). Padding is never written to a cache nor attended to, and its outputs are zeros.
 */
final class RowBatch {
    final List<KvCache> caches;
    private final int[] lengths;
    private final List<NDArray> fullMasks = new ArrayList<>();      // per row [1,1,1,T_r,S_r]
    private final List<NDArray> slidingMasks = new ArrayList<>();

    /** Starts the chunk in every row's cache: T_r new tokens each (see {@link KvCache#begin}). */
    RowBatch(List<KvCache> caches, int[] lengths, int t, NDManager scope) {
        this.caches = caches;
        this.lengths = lengths;
        for (int r = 0; r < caches.size(); r++) {
            NDList masks = caches.get(r).begin(length(r, t), null, scope);
            fullMasks.add(masks.get(0));
            slidingMasks.add(masks.get(1));
        }
    }

    /** Real tokens of row r in a chunk of width t. */
    int length(int r, int t) {
        return lengths == null ? t : lengths[r];
    }

    NDArray mask(int r, boolean sliding) {
        return (sliding ? slidingMasks : fullMasks).get(r);
    }

    void commit() {
        caches.forEach(KvCache::commit);
    }

    void abort() {
        caches.forEach(KvCache::abort);
    }

    void close() {
        fullMasks.forEach(NDArray::close);
        slidingMasks.forEach(NDArray::close);
    }
}
