package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.kernels.TrainingKernel;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.layers.ProjectionDelta;

/**
 * One Gemma 3 decoder block: norm -> attention -> norm -> residual, norm -> gated MLP -> norm -> residual.
 * Shapes: B batch, T new tokens, S keys attended (T, or cached + T), H hidden, N query heads, K key/value heads,
 * G = N / K queries per key/value head, D head dim, I intermediate.
 */
final class DecoderLayer {
    final int index;
    final boolean sliding;
    final Projection q;
    final Projection k;
    final Projection v;
    final Projection o;
    final Projection gate;
    final Projection up;
    final Projection down;
    final RmsNorm queryNorm;       // over D
    final RmsNorm keyNorm;         // over D
    final RmsNorm inputNorm;       // before attention
    final RmsNorm postAttentionNorm;
    final RmsNorm preFeedforwardNorm;
    final RmsNorm postFeedforwardNorm;

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scaling;
    private final int slidingWindow;
    private final Double attnSoftcap;
    /** The lowest finite score of the compute type, on the model's device, made once (not a copy per layer call). */
    private final NDArray maskFloor;
    /** Scores ([B,K,G,T_block,S], fp32) one block of queries may hold outside training: 16 MiB. */
    static final long SCORE_BLOCK_ELEMENTS = 1L << 22;

    DecoderLayer(Gemma3Config config, int index, Projection[] projections, RmsNorm[] norms, NDArray maskFloor) {
        this.maskFloor = maskFloor;
        this.index = index;
        this.sliding = config.isSliding(index);
        this.q = projections[0];
        this.k = projections[1];
        this.v = projections[2];
        this.o = projections[3];
        this.gate = projections[4];
        this.up = projections[5];
        this.down = projections[6];
        this.queryNorm = norms[0];
        this.keyNorm = norms[1];
        this.inputNorm = norms[2];
        this.postAttentionNorm = norms[3];
        this.preFeedforwardNorm = norms[4];
        this.postFeedforwardNorm = norms[5];
        this.heads = config.numAttentionHeads();
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.scaling = (float) Math.pow(config.queryPreAttnScalar(), -0.5);
        this.attnSoftcap = config.attnLogitSoftcapping();
        this.slidingWindow = config.slidingWindow();
    }

    /**
     * x [B,T,H] -> [B,T,H]. {@code rope} = {cos, sin} [B,1,T,D] for this layer's type, {@code mask}
     * [B|1,1,1,T,S] boolean, {@code cache} may be null.
     */
    NDArray forward(NDArray x, NDList rope, NDArray mask, KvCache cache, boolean training) {
        return forward(x, rope, mask, null, cache, null, null, training);
    }

    /**
     * As above; with {@code rows} each row attends over its own cache under its own mask (and {@code mask},
     * {@code cache} are null), and {@code delta} (may be null) adds each row's update to every projection.
     */
    NDArray forward(NDArray x, NDList rope, NDArray mask, PackedSequences packed, KvCache cache, RowBatch rows,
                    ProjectionDelta delta,
                    boolean training) {
        NDArray h = inputNorm.forward(x);
        h = attention(h, rope, mask, packed, cache, rows, delta, training);     // [B,T,H]
        x = postAttentionNorm.forwardAdd(h, x);                                 // x + norm(h)

        h = preFeedforwardNorm.forward(x);
        h = mlp(h, delta, training);                                            // [B,T,H] via [B,T,I]
        return postFeedforwardNorm.forwardAdd(h, x);                            // [B,T,H]
    }

    /** slot(x) [B,T,out], plus the row-dependent update when there is one. */
    private static NDArray project(Projection slot, NDArray x, ProjectionDelta delta, boolean training) {
        NDArray out = slot.get().forward(x, training);
        if (delta != null) {
            NDArray update = delta.delta(slot.name(), x);
            if (update != null) {
                out = out.add(update);
            }
        }
        return out;
    }

    private NDArray attention(NDArray x, NDList rope, NDArray mask, PackedSequences packed, KvCache cache, RowBatch rows,
                              ProjectionDelta delta, boolean training) {
        NDManager scope = x.getManager();
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        if (packed != null) {
            // tokens stay [B,T,heads,D] (no transposes), sequences delimited by packed.bounds, no mask
            NDArray query = queryNorm.forward(project(q, x, delta, training).reshape(b, t, heads, headDim));  // [B,T,N,D]
            NDArray key = keyNorm.forward(project(k, x, delta, training).reshape(b, t, kvHeads, headDim));    // [B,T,K,D]
            NDArray value = project(v, x, delta, training).reshape(b, t, kvHeads, headDim);                   // [B,T,K,D]
            NDArray cos = rope.get(0).transpose(0, 2, 1, 3);                                                 // [B,T,1,D]
            NDArray sin = rope.get(1).transpose(0, 2, 1, 3);
            query = RotaryEmbedding.apply(query, cos, sin);
            key = RotaryEmbedding.apply(key, cos, sin);
            // Gemma's sliding window lets query i see keys j with i - j < window: flash's left window is window - 1
            NDArray context = Kernels.varlenAttention(query, key, value, packed.bounds(), packed.maxLength(), scaling,
                    sliding ? slidingWindow - 1 : -1);                                                       // [B,T,N*D]
            return project(o, context, delta, training);
        }

        NDArray query = project(q, x, delta, training).reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);   // [B,N,T,D]
        NDArray key = project(k, x, delta, training).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3);   // [B,K,T,D]
        NDArray value = project(v, x, delta, training).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3); // [B,K,T,D]

        query = queryNorm.forward(query);
        key = keyNorm.forward(key);
        query = RotaryEmbedding.apply(query, rope.get(0), rope.get(1));
        key = RotaryEmbedding.apply(key, rope.get(0), rope.get(1));

        NDArray context;
        if (rows != null) {
            context = attendRows(query, key, value, rows, x.getDataType(), training);                        // [B,T,N*D]
        } else {
            if (cache != null) {
                NDList kv = cache.update(index, key, value, scope);
                key = kv.get(0);                                                                            // [B,K,S,D]
                value = kv.get(1);
            }
            context = attend(query, key, value, mask, x.getDataType(), training);
        }
        return project(o, context, delta, training);                                                        // [B,T,H]
    }

    /**
     * Continuous batching: rows have different lengths, so each attends over its own cache with its first T_r
     * tokens (the rest is padding: never stored, zeros out). The projections around stay batched.
     */
    private NDArray attendRows(NDArray query, NDArray key, NDArray value, RowBatch rows, DataType type,
                               boolean training) {
        NDManager scope = query.getManager();
        long b = query.getShape().get(0);
        int t = Math.toIntExact(query.getShape().get(2));
        NDList out = new NDList();
        for (int r = 0; r < b; r++) {
            int real = rows.length(r, t);
            NDIndex tokens = new NDIndex(r + ":" + (r + 1) + ", :, 0:" + real);                            // [1,*,T_r,D]
            NDList kv = rows.caches.get(r).update(index, key.get(tokens), value.get(tokens), scope);       // [1,K,S_r,D]
            NDArray row = attend(query.get(tokens), kv.get(0), kv.get(1), rows.mask(r, sliding), type, training);
            if (real < t) {
                row = NDArrays.concat(new NDList(row, scope.zeros(new Shape(1, t - real, row.getShape().get(2)), type)), 1);
            }
            out.add(row);                                                                                   // [1,T,N*D]
        }
        return out.size() == 1 ? out.get(0) : NDArrays.concat(out, 0);                                      // [B,T,N*D]
    }

    /**
     * Softmax attention of query [B,N,T,D] over key/value [B,K,S,D] under mask [B|1,1,1,T,S] -> [B,T,N*D]. Outside
     * training the queries go in blocks whose scores stay under {@link #SCORE_BLOCK_ELEMENTS}, so memory grows with
     * S, never with T x S (a long prompt's chunk over a long cache).
     */
    private NDArray attend(NDArray query, NDArray key, NDArray value, NDArray mask, DataType type, boolean training) {
        long b = query.getShape().get(0);
        long t = query.getShape().get(2);
        long s = key.getShape().get(2);
        long block = training ? t : Math.max(1, SCORE_BLOCK_ELEMENTS / (b * heads * s));
        if (block >= t) {
            return attendBlock(query, key, value, mask, type);
        }
        NDManager scope = query.getManager();
        NDList parts = new NDList();
        for (long from = 0; from < t; from += block) {
            String queries = from + ":" + Math.min(t, from + block);
            try (NDManager blockScope = scope.newSubManager()) {
                NDArray part = attendBlock(Scoped.into(blockScope, query.get(":, :, " + queries)), key, value,
                        Scoped.into(blockScope, mask.get(":, :, :, " + queries)), type);                    // [B,T_b,N*D]
                part.attach(scope);
                parts.add(part);
            }
        }
        return NDArrays.concat(parts, 1);                                                                   // [B,T,N*D]
    }

    /** {@link #attend} of one block of queries, all its scores at once. */
    private NDArray attendBlock(NDArray query, NDArray key, NDArray value, NDArray mask, DataType type) {
        long b = query.getShape().get(0);
        long t = query.getShape().get(2);
        if (Kernels.available() && attnSoftcap == null) {
            // one fused kernel (flash / memory-efficient attention), backward through autograd
            NDArray fused = Kernels.attention(query, key, value, mask, scaling);                           // [B,N,T,D]
            return fused.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim);                    // [B,T,N*D]
        }
        long s = key.getShape().get(2);
        int groups = heads / kvHeads;
        // Grouped-query attention without repeating K/V: the G query heads of one K/V head are stacked along T.
        NDArray grouped = Scaled.times(query, scaling).reshape(b, kvHeads, groups * t, headDim);                     // [B,K,G*T,D]
        NDArray scores = grouped.matMul(key.transpose(0, 1, 3, 2));                                         // [B,K,G*T,S]
        scores = scores.toType(DataType.FLOAT32, false).reshape(b, kvHeads, groups, t, s);                   // [B,K,G,T,S]
        if (attnSoftcap != null) {
            float cap = attnSoftcap.floatValue();
            scores = Scaled.times(Scaled.dividedBy(scores, cap).tanh(), cap);
        }
        // A finite floor instead of -inf: a query with no visible key (a padding row) gets uniform weights, not NaN.
        scores = NDArrays.where(mask.broadcast(scores.getShape()), scores, maskFloor);
        NDArray weights = scores.softmax(-1).toType(type, false)
                .reshape(b, kvHeads, groups * t, s);                                                        // [B,K,G*T,S]
        return weights.matMul(value)                                                                        // [B,K,G*T,D]
                .reshape(b, heads, t, headDim)                                                              // [B,N,T,D]
                .transpose(0, 2, 1, 3)                                                                      // [B,T,N,D]
                .reshape(b, t, (long) heads * headDim);                                                     // [B,T,N*D]
    }

    /** down(gelu_tanh(gate(x)) * up(x)): [B,T,H] -> [B,T,I] -> [B,T,H]. */
    private NDArray mlp(NDArray x, ProjectionDelta delta, boolean training) {
        if (Kernels.enabled(TrainingKernel.GELU_GATE)) {
            return project(down, Kernels.geluGate(project(gate, x, delta, training), project(up, x, delta, training)),
                    delta, training);
        }
        NDArray gated = geluTanh(project(gate, x, delta, training));
        NDArray hidden = gated.mul(project(up, x, delta, training));
        return project(down, hidden, delta, training);
    }

    /** PyTorch's gelu(approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static NDArray geluTanh(NDArray x) {
        if (Kernels.available()) {
            return Kernels.geluTanh(x);
        }
        float sqrt2OverPi = (float) Math.sqrt(2.0 / Math.PI);
        NDArray inner = Scaled.times(Scaled.times(x.mul(x).mul(x), 0.044715f).add(x), sqrt2OverPi);
        return Scaled.times(x, 0.5f).mul(inner.tanh().add(1f));
    }
}
