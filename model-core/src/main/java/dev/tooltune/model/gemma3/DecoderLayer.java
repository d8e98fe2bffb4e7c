package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.layers.Projection;

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
    private final Double attnSoftcap;
    /** fp32 scalar -Float.MAX_VALUE on the model's device, made once (not a host-to-device copy per layer call). */
    private final NDArray maskFloor;

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
    }

    /**
     * x [B,T,H] -> [B,T,H]. {@code rope} = {cos, sin} [B,1,T,D] for this layer's type, {@code mask}
     * [B|1,1,1,T,S] boolean, {@code cache} may be null.
     */
    NDArray forward(NDArray x, NDList rope, NDArray mask, KvCache cache, boolean training) {
        NDArray residual = x;
        NDArray h = inputNorm.forward(x);
        h = attention(h, rope, mask, cache, training);
        h = postAttentionNorm.forward(h);
        x = residual.add(h);

        residual = x;
        h = preFeedforwardNorm.forward(x);
        h = mlp(h, training);
        h = postFeedforwardNorm.forward(h);
        return residual.add(h);
    }

    private NDArray attention(NDArray x, NDList rope, NDArray mask, KvCache cache, boolean training) {
        NDManager scope = x.getManager();
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int groups = heads / kvHeads;

        NDArray query = q.get().forward(x, training).reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);   // [B,N,T,D]
        NDArray key = k.get().forward(x, training).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3);   // [B,K,T,D]
        NDArray value = v.get().forward(x, training).reshape(b, t, kvHeads, headDim).transpose(0, 2, 1, 3); // [B,K,T,D]

        query = queryNorm.forward(query);
        key = keyNorm.forward(key);
        query = RotaryEmbedding.apply(query, rope.get(0), rope.get(1));
        key = RotaryEmbedding.apply(key, rope.get(0), rope.get(1));

        if (cache != null) {
            NDList kv = cache.update(index, key, value, scope);
            key = kv.get(0);                                                                                // [B,K,S,D]
            value = kv.get(1);
        }
        if (Kernels.available() && attnSoftcap == null) {
            // one fused kernel (flash / memory-efficient attention), backward through autograd
            NDArray fused = Kernels.attention(query, key, value, mask, scaling);                           // [B,N,T,D]
            NDArray context = fused.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim);          // [B,T,N*D]
            return o.get().forward(context, training);
        }
        long s = key.getShape().get(2);

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
        NDArray weights = scores.softmax(-1).toType(x.getDataType(), false)
                .reshape(b, kvHeads, groups * t, s);                                                        // [B,K,G*T,S]
        NDArray context = weights.matMul(value)                                                             // [B,K,G*T,D]
                .reshape(b, heads, t, headDim)                                                              // [B,N,T,D]
                .transpose(0, 2, 1, 3)                                                                      // [B,T,N,D]
                .reshape(b, t, (long) heads * headDim);                                                     // [B,T,N*D]
        return o.get().forward(context, training);                                                          // [B,T,H]
    }

    /** down(gelu_tanh(gate(x)) * up(x)): [B,T,H] -> [B,T,I] -> [B,T,H]. */
    private NDArray mlp(NDArray x, boolean training) {
        NDArray gated = geluTanh(gate.get().forward(x, training));
        NDArray hidden = gated.mul(up.get().forward(x, training));
        return down.get().forward(hidden, training);
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
