package dev.tooltune.model.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Random;

/**
 * Picks the next token of every row from logits [B,V] on the device; only the B chosen ids come back to the host.
 * Sampling sorts each row once, applies top-k and top-p on the sorted probabilities and inverts the cumulative
 * distribution at a seeded uniform draw per row.
 */
public final class Sampler {
    private final GenerationOptions options;
    private final Random random;

    Sampler(GenerationOptions options) {
        this.options = options;
        this.random = new Random(options.seed());
    }

    /** A sampler with its own seeded generator (one per request, so a row's draws never depend on its neighbours). */
    public static Sampler of(double temperature, int topK, double topP, long seed) {
        return new Sampler(GenerationOptions.greedy(1).withSampling(temperature, topK, topP, seed));
    }

    /**
     * The uniform draw {@link #next} would use for a one-row sampled step; the native serving step takes it and
     * inverts the same distribution on the device, so a request's tokens do not depend on where it decodes.
     */
    public float nextDraw() {
        return random.nextFloat();
    }

    /** The next token of every row of logits [B,V]. */
    public long[] next(NDArray logits) {
        NDManager scope = logits.getManager();
        if (options.isGreedy()) {
            return logits.argMax(-1).toType(DataType.INT64, false).toLongArray();
        }
        long b = logits.getShape().get(0);
        long v = logits.getShape().get(1);
        NDArray scaled = logits.toType(DataType.FLOAT32, false).div((float) options.temperature());     // [B,V]
        NDArray order = scaled.argSort(-1, false);                                                      // [B,V] best first
        NDArray sorted = scaled.gather(order, 1);                                                       // [B,V]
        if (options.topK() > 0 && options.topK() < v) {
            NDArray rank = scope.arange(0, (int) v, 1, DataType.INT64).reshape(1, v);
            sorted = NDArrays.where(rank.lt(options.topK()).broadcast(sorted.getShape()), sorted,
                    scope.create(Float.NEGATIVE_INFINITY));
        }
        NDArray probabilities = sorted.softmax(-1);                                                     // [B,V]
        if (options.topP() < 1.0) {
            // Keep the smallest prefix whose mass reaches top_p: a token stays if the mass before it is < top_p.
            NDArray before = probabilities.cumSum(1).sub(probabilities);
            probabilities = NDArrays.where(before.lt((float) options.topP()), probabilities, scope.create(0f));
        }
        NDArray cumulative = probabilities.cumSum(1);                                                   // [B,V]
        NDArray total = cumulative.get(":, -1:");                                                       // [B,1]
        float[] draws = new float[(int) b];
        for (int i = 0; i < b; i++) {
            draws[i] = random.nextFloat();
        }
        NDArray threshold = scope.create(draws).reshape(b, 1).mul(total);                               // [B,1]
        NDArray below = cumulative.lte(threshold).toType(DataType.INT64, false).sum(new int[] {1}, true);  // [B,1]
        // Float rounding may push the draw past the last kept token; never pick a token with probability 0.
        NDArray lastKept = probabilities.gt(0f).toType(DataType.INT64, false).sum(new int[] {1}, true).sub(1L);
        NDArray position = NDArrays.minimum(below, lastKept);                                          // [B,1]
        return order.gather(position, 1).reshape(b).toLongArray();
    }
}
