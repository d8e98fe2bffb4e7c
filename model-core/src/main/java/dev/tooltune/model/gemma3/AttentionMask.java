package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;

/**
 * Which keys each query may attend to, built on the device from index vectors (no [T,S] loops on the host).
 * Indices are positions in the (padded) token stream, shared by all rows of the batch, exactly like the
 * {@code cache_position} transformers masks with: a key is visible when it is not empty (index >= 0), not in the
 * future, inside the sliding window for sliding layers ({@code q - k < window}), real (key mask) and, when
 * packing, in the query's segment.
 */
final class AttentionMask {
    private AttentionMask() {
    }

    /**
     * @param queryIndex [T] int64
     * @param keyIndex   [S] int64, -1 for empty cache slots
     * @param keyValid   [B,S] boolean, or null
     * @param querySegments [B,T] and keySegments [B,S] int64, or both null
     * @param window     sliding window, or 0 for full attention
     * @return [B or 1, 1, 1, T, S] boolean, to broadcast against scores [B, kvHeads, groups, T, S]
     */
    static NDArray build(NDArray queryIndex, NDArray keyIndex, NDArray keyValid, NDArray querySegments,
                         NDArray keySegments, int window) {
        long t = queryIndex.getShape().get(0);
        long s = keyIndex.getShape().get(0);
        NDArray q = queryIndex.reshape(t, 1);                           // [T,1]
        NDArray k = keyIndex.reshape(1, s);                             // [1,S]
        NDArray allowed = k.lte(q).logicalAnd(k.gte(0));                // [T,S]
        if (window > 0) {
            allowed = allowed.logicalAnd(q.sub(k).lt(window));
        }
        allowed = allowed.expandDims(0);                                // [1,T,S]
        if (keyValid != null) {
            long b = keyValid.getShape().get(0);
            allowed = allowed.logicalAnd(keyValid.reshape(b, 1, s));    // [B,T,S]
        }
        if (querySegments != null) {
            long b = querySegments.getShape().get(0);
            NDArray same = querySegments.reshape(b, t, 1).eq(keySegments.reshape(b, 1, s)); // [B,T,S]
            allowed = allowed.logicalAnd(same);
        }
        long rows = allowed.getShape().get(0);
        return allowed.reshape(rows, 1, 1, t, s);
    }
}
