package dev.tooltune.model.gemma3;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Seeded random weights, as transformers initialises Gemma 3: normal(0, initializer_range) for embeddings and
 * projections, zeros for the RMSNorm weights (scale 1 + 0). {@code normStd > 0} gives the norms random values
 * instead, so tests notice a norm applied wrongly. Each tensor draws from its own seed derived from its name,
 * so a model built in memory equals one written tensor by tensor and loaded back.
 */
public record RandomInit(long seed, double std, double normStd) {

    public static RandomInit of(long seed) {
        return new RandomInit(seed, 0.02, 0.0);
    }

    /** fp32 tensor for {@code entry}, in {@code manager}. */
    public NDArray tensor(ParameterLayout.Entry entry, NDManager manager) {
        Shape shape = new Shape(entry.shape());
        double sigma = entry.isNorm() ? normStd : std;
        if (sigma == 0) {
            return manager.zeros(shape, DataType.FLOAT32);
        }
        long mixed = seed * 0x9E3779B97F4A7C15L + entry.name().hashCode();
        Engine.getInstance().setRandomSeed((int) (mixed ^ (mixed >>> 32)) & 0x7fffffff);
        return manager.randomNormal(0f, (float) sigma, shape, DataType.FLOAT32);
    }
}
