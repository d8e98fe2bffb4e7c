package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.tooltune.model.layers.DenseLinear;
import dev.tooltune.model.layers.Linear;
import dev.tooltune.model.layers.Projection;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A one-layer transformer for trainer tests, in any float dtype (float64 for gradient checks): embedding,
 * single-head causal attention honouring segment ids, gated GELU MLP, RMS norm, tied output. It has the
 * seven projection slots of a Gemma layer so LoRA targets work as on the real model.
 */
final class TinyCausalLm implements CausalLm {

    private final NDManager manager;
    private final NDArray embedding;   // [V, H]
    private final List<Projection> projections = new ArrayList<>();
    private final int hidden;

    TinyCausalLm(NDManager parent, int vocab, int hidden, int intermediate, DataType dtype, long seed) {
        this.manager = parent.newSubManager();
        this.hidden = hidden;
        Random random = new Random(seed);
        this.embedding = random(vocab, hidden, 1.0, random, dtype);
        String[][] shapes = {
            {"self_attn.q_proj", "h", "h"}, {"self_attn.k_proj", "h", "h"}, {"self_attn.v_proj", "h", "h"},
            {"self_attn.o_proj", "h", "h"}, {"mlp.gate_proj", "i", "h"}, {"mlp.up_proj", "i", "h"}, {"mlp.down_proj", "h", "i"}};
        for (String[] shape : shapes) {
            int out = shape[1].equals("h") ? hidden : intermediate;
            int in = shape[2].equals("h") ? hidden : intermediate;
            projections.add(new Projection("model.layers.0." + shape[0], new DenseLinear(random(out, in, 1 / Math.sqrt(in), random, dtype))));
        }
    }

    private NDArray random(int rows, int columns, double std, Random random, DataType dtype) {
        double[] values = new double[rows * columns];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian() * std;
        }
        return manager.create(values, new Shape(rows, columns)).toType(dtype, false);
    }

    private Linear slot(int index) {
        return projections.get(index).get();
    }

    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray positions, NDArray segmentIds, boolean training) {
        long length = inputIds.getShape().get(1);
        NDArray x = embedding.get(inputIds);                                              // [B, T, H]
        NDArray normed = rms(x);
        NDArray q = slot(0).forward(normed, training);
        NDArray k = slot(1).forward(normed, training);
        NDArray v = slot(2).forward(normed, training);
        NDArray scores = q.matMul(k.transpose(0, 2, 1)).div(Math.sqrt(hidden));           // [B, T, T]
        NDArray index = inputIds.getManager().arange(length);
        NDArray causal = index.expandDims(1).gte(index.expandDims(0)).expandDims(0);      // [1, T, T]
        NDArray sameSegment = segmentIds.expandDims(2).eq(segmentIds.expandDims(1));      // [B, T, T]
        NDArray allowed = causal.logicalAnd(sameSegment);
        NDArray masked = NDArrays.where(allowed, scores, scores.zerosLike().sub(1e9));
        NDArray attention = masked.softmax(2).matMul(v);
        x = x.add(slot(3).forward(attention, training));
        normed = rms(x);
        NDArray gate = slot(4).forward(normed, training);
        NDArray gelu = gate.mul(Activation.sigmoid(gate.mul(1.702)));
        x = x.add(slot(6).forward(gelu.mul(slot(5).forward(normed, training)), training));
        return rms(x);
    }

    private static NDArray rms(NDArray x) {
        return x.mul(x.square().mean(new int[] {-1}, true).add(1e-6).pow(-0.5));
    }

    @Override
    public NDArray outputEmbedding() {
        return embedding;
    }

    @Override
    public double finalLogitSoftcapping() {
        return 0;
    }

    @Override
    public List<Projection> projections() {
        return projections;
    }

    @Override
    public List<NDArray> parameters() {
        List<NDArray> out = new ArrayList<>();
        out.add(embedding);
        for (Projection projection : projections) {
            out.add(((DenseLinear) projection.get()).weight());
        }
        return out;
    }

    @Override
    public NDManager manager() {
        return manager;
    }
}
