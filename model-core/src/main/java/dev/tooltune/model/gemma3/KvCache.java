package dev.tooltune.model.gemma3;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.config.Gemma3Config;

/**
 * Keys and values of the tokens processed so far, for decoding one token at a time without recomputing the
 * prefix. Full-attention layers keep every token (capacity fixed at creation); sliding layers keep a ring of
 * {@code sliding_window} slots, since a query at index i never sees keys older than i - window + 1, which is what
 * bounds their memory. Token indices are positions in the padded batch stream (shared by all rows); which keys are
 * real (left padding) is tracked per row.
 *
 * <p>Buffers are preallocated and written in place; a forward pass over T tokens goes
 * {@link #begin} -> {@link #update} per layer -> {@link #commit}.
 */
public final class KvCache implements AutoCloseable {
    private final Gemma3Config config;
    private final NDManager manager;
    private final int batch;
    private final int capacity;
    private final int ringSize;
    private final NDArray[] keys;    // per layer: [B, kvHeads, capacity or ringSize, headDim]
    private final NDArray[] values;
    private final NDArray fullValid; // [B, capacity] boolean
    private final NDArray ringValid; // [B, ringSize] boolean
    private final long[] ringIndex;  // token index held by each ring slot, -1 when empty
    private int length;
    private static final NDIndex ALL = new NDIndex(":");

    // State of the chunk in flight, set by begin().
    private int chunk;
    private NDArray chunkValid;       // [B,T] boolean

    public KvCache(Gemma3Config config, int batch, int capacity, DataType type, NDManager parent) {
        if (capacity <= 0 || batch <= 0) {
            throw new IllegalArgumentException("cache needs batch > 0 and capacity > 0");
        }
        this.config = config;
        this.manager = parent.newSubManager();
        this.batch = batch;
        this.capacity = capacity;
        this.ringSize = Math.min(config.slidingWindow(), capacity);
        int layers = config.numHiddenLayers();
        keys = new NDArray[layers];
        values = new NDArray[layers];
        for (int l = 0; l < layers; l++) {
            int slots = config.isSliding(l) ? ringSize : capacity;
            Shape shape = new Shape(batch, config.numKeyValueHeads(), slots, config.headDim());
            keys[l] = manager.zeros(shape, type);
            values[l] = manager.zeros(shape, type);
        }
        fullValid = manager.zeros(new Shape(batch, capacity), DataType.BOOLEAN);
        ringValid = manager.zeros(new Shape(batch, ringSize), DataType.BOOLEAN);
        ringIndex = new long[ringSize];
        java.util.Arrays.fill(ringIndex, -1);
    }

    /** Bytes a cache of {@code capacity} tokens and one row takes: K and V of every layer plus validity flags. */
    public static long bytesFor(Gemma3Config config, int capacity, DataType type) {
        int ring = Math.min(config.slidingWindow(), capacity);
        long perToken = 2L * config.numKeyValueHeads() * config.headDim() * type.getNumOfBytes();
        long total = 0;
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            total += perToken * (config.isSliding(l) ? ring : capacity);
        }
        return total + capacity + ring;
    }

    /** What this cache holds on the device, in bytes. */
    public long bytes() {
        long total = fullValid.size() + ringValid.size();
        for (int l = 0; l < keys.length; l++) {
            total += 2 * keys[l].size() * keys[l].getDataType().getNumOfBytes();
        }
        return total;
    }

    /**
     * A copy of this (single- or multi-row) cache with room for {@code newCapacity} tokens, holding the same
     * {@link #length()} tokens: the prefix cache stores prompts' shared prefixes this way and hands each request
     * its own copy to continue from.
     */
    public KvCache copy(int newCapacity, NDManager parent) {
        if (chunk != 0) {
            throw new IllegalStateException("cannot copy a cache in the middle of a forward pass");
        }
        if (newCapacity < length) {
            throw new IllegalArgumentException("copy capacity " + newCapacity + " < " + length + " cached tokens");
        }
        KvCache out = new KvCache(config, batch, newCapacity, keys[0].getDataType(), parent);
        // Ring slots are token % ringSize. Equal rings copy as they are; otherwise the smaller ring never wrapped
        // (its capacity is below the window), so its tokens sit at slots 0..length-1 in both.
        boolean sameRing = out.ringSize == ringSize;
        if (!sameRing && length > Math.min(ringSize, out.ringSize)) {
            out.close();
            throw new IllegalStateException("ring of " + ringSize + " slots cannot be copied into " + out.ringSize);
        }
        String ringRange = sameRing ? ":" : "0:" + length;
        if (length > 0) {
            String fullRange = ":, :, 0:" + length;
            for (int l = 0; l < keys.length; l++) {
                String range = config.isSliding(l) ? ":, :, " + ringRange : fullRange;
                try (NDArray k = keys[l].get(new NDIndex(range)); NDArray v = values[l].get(new NDIndex(range))) {
                    out.keys[l].set(new NDIndex(range), k);
                    out.values[l].set(new NDIndex(range), v);
                }
            }
            try (NDArray valid = fullValid.get(new NDIndex(":, 0:" + length));
                 NDArray ring = ringValid.get(new NDIndex(":, " + ringRange))) {
                out.fullValid.set(new NDIndex(":, 0:" + length), valid);
                out.ringValid.set(new NDIndex(":, " + ringRange), ring);
            }
        }
        if (sameRing) {
            System.arraycopy(ringIndex, 0, out.ringIndex, 0, ringSize);
        } else {
            for (int i = 0; i < length; i++) {
                out.ringIndex[i] = i;
            }
        }
        out.length = length;
        return out;
    }

    /** Tokens stored so far (the index the next token gets). */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int batchSize() {
        return batch;
    }

    /** The two masks of a chunk of T new tokens: {full-attention mask, sliding mask}, in {@code scope}. */
    NDList begin(int t, NDArray keyMask, NDManager scope) {
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " tokens > capacity " + capacity);
        }
        chunk = t;
        chunkValid = keyMask == null ? scope.ones(new Shape(batch, t), DataType.BOOLEAN)
                : keyMask.toType(DataType.BOOLEAN, false);
        NDArray queryIndex = scope.arange(length, length + t, 1, DataType.INT64);            // [T]

        // Full attention: slots are token indices 0..length+T-1.
        fullValid.set(new NDIndex(":, " + length + ":" + (length + t)), chunkValid);
        NDArray fullIndex = scope.arange(0, length + t, 1, DataType.INT64);                  // [S]
        NDArray fullVisible = Scoped.into(scope, fullValid.get(new NDIndex(":, 0:" + (length + t))));
        NDArray fullMask = AttentionMask.build(queryIndex, fullIndex, fullVisible, null, null, 0);

        // Sliding: one token writes its ring slot first (the key it evicts is outside its window); a longer chunk
        // attends to [ring, chunk] and is written to the ring afterwards.
        NDArray slidingMask;
        if (t == 1) {
            int slot = length % ringSize;
            ringIndex[slot] = length;
            ringValid.set(new NDIndex(":, " + slot + ":" + (slot + 1)), chunkValid);
            NDArray ringIdx = scope.create(ringIndex);
            NDArray ringVisible = Scoped.into(scope, ringValid.get(ALL));
            slidingMask = AttentionMask.build(queryIndex, ringIdx, ringVisible, null, null, config.slidingWindow());
        } else {
            NDArray keyIndex = NDArrays.concat(new NDList(scope.create(ringIndex), queryIndex));
            NDArray keyValid = NDArrays.concat(new NDList(Scoped.into(scope, ringValid.get(ALL)), chunkValid), 1);
            slidingMask = AttentionMask.build(queryIndex, keyIndex, keyValid, null, null, config.slidingWindow());
        }
        return new NDList(fullMask, slidingMask);
    }

    /**
     * Stores layer {@code layer}'s keys/values of the chunk (k, v [B, kvHeads, T, D]) and returns the keys and values
     * to attend over ([B, kvHeads, S, D], matching the mask from {@link #begin}), in {@code scope}.
     */
    NDList update(int layer, NDArray k, NDArray v, NDManager scope) {
        NDArray keyBuffer = keys[layer];
        NDArray valueBuffer = values[layer];
        if (!config.isSliding(layer)) {
            String slots = ":, :, " + length + ":" + (length + chunk);
            keyBuffer.set(new NDIndex(slots), k);
            valueBuffer.set(new NDIndex(slots), v);
            String visible = ":, :, 0:" + (length + chunk);
            return new NDList(Scoped.into(scope, keyBuffer.get(new NDIndex(visible))),
                    Scoped.into(scope, valueBuffer.get(new NDIndex(visible))));
        }
        if (chunk == 1) {
            int slot = length % ringSize;
            String slots = ":, :, " + slot + ":" + (slot + 1);
            keyBuffer.set(new NDIndex(slots), k);
            valueBuffer.set(new NDIndex(slots), v);
            return new NDList(Scoped.into(scope, keyBuffer.get(ALL)), Scoped.into(scope, valueBuffer.get(ALL)));
        }
        NDArray allKeys = NDArrays.concat(new NDList(Scoped.into(scope, keyBuffer.get(ALL)), k), 2);
        NDArray allValues = NDArrays.concat(new NDList(Scoped.into(scope, valueBuffer.get(ALL)), v), 2);
        writeRing(keyBuffer, k);
        writeRing(valueBuffer, v);
        return new NDList(allKeys, allValues);
    }

    /** Writes the last min(T, ring) tokens of a chunk into their ring slots. */
    private void writeRing(NDArray buffer, NDArray chunkValues) {
        forEachRingRun((from, slot, run, token) -> {
            try (NDArray part = chunkValues.get(new NDIndex(":, :, " + from + ":" + (from + run)))) {
                buffer.set(new NDIndex(":, :, " + slot + ":" + (slot + run)), part);
            }
        });
    }

    /** A contiguous run of {@code run} chunk positions from {@code from}, token {@code token}, stored at {@code slot}. */
    private interface RingRun {
        void accept(int from, int slot, int run, int token);
    }

    /** The last min(T, ring) tokens of the chunk, as the (at most two) contiguous runs of ring slots they go to. */
    private void forEachRingRun(RingRun action) {
        int keep = Math.min(chunk, ringSize);
        int from = chunk - keep;
        int token = length + from;
        while (from < chunk) {
            int slot = token % ringSize;
            int run = Math.min(chunk - from, ringSize - slot);
            action.accept(from, slot, run, token);
            from += run;
            token += run;
        }
    }

    /** Ends the chunk: the T tokens become part of the cached prefix. */
    void commit() {
        if (chunk > 1) {
            forEachRingRun((from, slot, run, token) -> {
                try (NDArray part = chunkValid.get(new NDIndex(":, " + from + ":" + (from + run)))) {
                    ringValid.set(new NDIndex(":, " + slot + ":" + (slot + run)), part);
                }
                for (int i = 0; i < run; i++) {
                    ringIndex[slot + i] = token + i;
                }
            });
        }
        length += chunk;
        chunk = 0;
        chunkValid = null;
    }

    /** Keys, then values, of every layer; then full and ring validity (what NativeServingStep.load copies into a slot). */
    List<NDArray> buffers() {
        List<NDArray> out = new java.util.ArrayList<>();
        for (int l = 0; l < keys.length; l++) {
            out.add(keys[l]);
            out.add(values[l]);
        }
        out.add(fullValid);
        out.add(ringValid);
        return out;
    }

    /** Undoes a {@link #begin} whose forward failed, so the cache stays usable. */
    void abort() {
        chunk = 0;
        chunkValid = null;
    }

    @Override
    public void close() {
        manager.close();
    }
}
