package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;

/**
 * What one forward pass reads. All arrays are [B,T] and live in the caller's manager; the forward pass puts its
 * outputs (and closes its intermediates) there.
 *
 * <ul>
 *   <li>{@code inputIds}: token ids, int64.</li>
 *   <li>{@code positionIds}: RoPE positions, int64 (for left padding: count of real tokens before, as HF).</li>
 *   <li>{@code keyMask}: optional, nonzero where the token is real. Left or right padding; padded keys are never
 *       attended to. Padded queries produce finite garbage that callers must ignore.</li>
 *   <li>{@code segmentIds}: optional, for sequence packing: a query only sees keys of its own segment.</li>
 *   <li>{@code cache}: optional KV cache; then these T tokens follow the ones already in the cache.</li>
 *   <li>{@code rowCaches}: optional, one single-row KV cache per row (continuous batching: rows of different
 *       lengths, each with its own cache); exclusive with {@code cache}, {@code keyMask} and {@code segmentIds}.</li>
 *   <li>{@code rowLengths}: optional with {@code rowCaches}, the real tokens of each row (right padding after
 *       them: a batch of prefill chunks of different lengths); padding is neither cached nor attended to.</li>
 *   <li>{@code delta}: optional per-row update of the projections (each row's own LoRA adapter).</li>
 * </ul>
 */
public record ModelInput(NDArray inputIds, NDArray positionIds, NDArray keyMask, NDArray segmentIds, KvCache cache,
                         java.util.List<KvCache> rowCaches, int[] rowLengths,
                         dev.tooltune.model.layers.ProjectionDelta delta) {

    public ModelInput(NDArray inputIds, NDArray positionIds, NDArray keyMask, NDArray segmentIds, KvCache cache) {
        this(inputIds, positionIds, keyMask, segmentIds, cache, null, null, null);
    }

    public ModelInput {
        if (inputIds.getShape().dimension() != 2) {
            throw new IllegalArgumentException("inputIds must be [B,T], got " + inputIds.getShape());
        }
        check("positionIds", positionIds, inputIds);
        check("keyMask", keyMask, inputIds);
        check("segmentIds", segmentIds, inputIds);
        if (segmentIds != null && cache != null) {
            throw new IllegalArgumentException("sequence packing (segmentIds) cannot be combined with a KV cache");
        }
        if (rowCaches != null) {
            if (cache != null || keyMask != null || segmentIds != null) {
                throw new IllegalArgumentException("per-row caches exclude a batch cache, a key mask and segments");
            }
            if (rowCaches.size() != inputIds.getShape().get(0)) {
                throw new IllegalArgumentException(rowCaches.size() + " row caches for " + inputIds.getShape().get(0) + " rows");
            }
            for (KvCache rowCache : rowCaches) {
                if (rowCache.batchSize() != 1) {
                    throw new IllegalArgumentException("a row cache holds one row, got batch " + rowCache.batchSize());
                }
            }
            rowCaches = java.util.List.copyOf(rowCaches);
        }
        if (rowLengths != null) {
            if (rowCaches == null || rowLengths.length != rowCaches.size()) {
                throw new IllegalArgumentException("row lengths need one row cache per length");
            }
            for (int length : rowLengths) {
                if (length < 1 || length > inputIds.getShape().get(1)) {
                    throw new IllegalArgumentException("row length " + length + " outside [1, " + inputIds.getShape().get(1) + "]");
                }
            }
            rowLengths = rowLengths.clone();
        }
    }

    private static void check(String what, NDArray a, NDArray ids) {
        if (a != null && !a.getShape().equals(ids.getShape())) {
            throw new IllegalArgumentException(what + " must have the shape of inputIds " + ids.getShape()
                    + ", got " + a.getShape());
        }
    }

    public static ModelInput of(NDArray inputIds, NDArray positionIds) {
        return new ModelInput(inputIds, positionIds, null, null, null);
    }

    public ModelInput withKeyMask(NDArray mask) {
        return new ModelInput(inputIds, positionIds, mask, segmentIds, cache, rowCaches, rowLengths, delta);
    }

    public ModelInput withSegments(NDArray segments) {
        return new ModelInput(inputIds, positionIds, keyMask, segments, cache, rowCaches, rowLengths, delta);
    }

    public ModelInput withCache(KvCache kvCache) {
        return new ModelInput(inputIds, positionIds, keyMask, segmentIds, kvCache, rowCaches, rowLengths, delta);
    }

    /** Each row with its own single-row cache (rows may have different lengths). */
    public ModelInput withRowCaches(java.util.List<KvCache> caches) {
        return new ModelInput(inputIds, positionIds, keyMask, segmentIds, cache, caches, null, delta);
    }

    /** Each row with its own cache and {@code lengths[r]} real tokens, right-padded to T. */
    public ModelInput withRowCaches(java.util.List<KvCache> caches, int[] lengths) {
        return new ModelInput(inputIds, positionIds, keyMask, segmentIds, cache, caches, lengths, delta);
    }

    /** Tokens [from, to) of every row (for the batch-cache and no-cache paths). */
    ModelInput slice(long from, long to) {
        if (rowCaches != null) {
            throw new IllegalStateException("row-cache inputs are chunked by their caller");
        }
        String range = ":, " + from + ":" + to;
        return new ModelInput(inputIds.get(range), positionIds.get(range), keyMask == null ? null : keyMask.get(range),
                segmentIds == null ? null : segmentIds.get(range), cache, null, null, delta);
    }

    /** Adds {@code projectionDelta} (e.g. each row's LoRA update) to the projections' outputs. */
    public ModelInput withDelta(dev.tooltune.model.layers.ProjectionDelta projectionDelta) {
        return new ModelInput(inputIds, positionIds, keyMask, segmentIds, cache, rowCaches, rowLengths, projectionDelta);
    }

    public long batchSize() {
        return inputIds.getShape().get(0);
    }

    public long length() {
        return inputIds.getShape().get(1);
    }
}
