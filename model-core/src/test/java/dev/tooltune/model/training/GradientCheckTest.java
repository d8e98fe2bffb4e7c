package dev.tooltune.model.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.lora.LoraLinear;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The chunked, token-weighted loss and its backward pass against central finite differences, in float64,
 * through a packed batch (two segments per row, padding), for LoRA A and B and for every full parameter.
 */
class GradientCheckTest {

    static final double STEP = 1e-6;

    @Test
    void loraGradientsMatchFiniteDifferences() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyCausalLm model = new TinyCausalLm(manager, 23, 8, 12, DataType.FLOAT64, 5);
            LoraConfig config = new LoraConfig(2, 4, 0, Set.copyOf(LoraConfig.GEMMA_MODULES), false);
            try (LoraAdapter adapter = LoraAdapter.create(manager, config, model.projections(), 3, DataType.FLOAT64)) {
                // B starts at zero; give it values so A's gradient is not trivially zero
                Random random = new Random(11);
                for (LoraLinear layer : adapter.layers().values()) {
                    NDArray b = layer.loraB();
                    double[] values = new double[(int) b.size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = random.nextGaussian() * 0.3;
                    }
                    b.set(values);
                }
                adapter.attach();
                adapter.requireGradients();
                check(model, adapter.parameters());
            }
        }
    }

    @Test
    void fullParameterGradientsMatchFiniteDifferences() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyCausalLm model = new TinyCausalLm(manager, 23, 8, 12, DataType.FLOAT64, 6);
            List<NDArray> parameters = model.parameters();
            for (NDArray parameter : parameters) {
                parameter.setRequiresGradient(true);
            }
            check(model, parameters);
        }
    }

    private static void check(CausalLm model, List<NDArray> parameters) {
        Batch batch = Batch.packed(List.of(
                example(new int[] {1, 4, 9, 16, 2}, new float[] {0, 0, 1, 1, 1}),
                example(new int[] {3, 5, 7}, new float[] {0, 1, 0.5f}),
                example(new int[] {8, 13, 21, 22, 1, 6}, new float[] {0, 0, 0, 1, 1, 1})), 8, 2).get(0);
        TokenCrossEntropy loss = new TokenCrossEntropy(3); // several chunks
        double normaliser = batch.trainedWeight();
        // the NDScope keeps DJL's closed scalar tensors reachable until backward is done (see LoraLinear)
        try (NDScope scope = new NDScope(); GradientCollector collector = Engine.getInstance().newGradientCollector();
                NDManager scratch = model.manager().newSubManager()) {
            loss.backward(collector, hidden(model, scratch, batch), batch, model.outputEmbedding(), 0, normaliser);
        }
        double worst = 0;
        for (NDArray parameter : parameters) {
            double[] analytic = parameter.getGradient().toDoubleArray();
            double[] values = parameter.toDoubleArray();
            // probe a spread of entries of every parameter
            for (int i = 0; i < values.length; i += Math.max(1, values.length / 4)) {
                double original = values[i];
                values[i] = original + STEP;
                parameter.set(values);
                double plus = evaluate(model, loss, batch) / normaliser;
                values[i] = original - STEP;
                parameter.set(values);
                double minus = evaluate(model, loss, batch) / normaliser;
                values[i] = original;
                parameter.set(values);
                double numeric = (plus - minus) / (2 * STEP);
                // central differences with h = 1e-6 in float64: relative 1e-5, or 1e-8 absolute (round-off) near zero
                double error = Math.abs(numeric - analytic[i]) / (Math.abs(numeric) + Math.abs(analytic[i]) + 1e-3);
                worst = Math.max(worst, error);
                assertTrue(Math.abs(numeric - analytic[i]) <= 1e-5 * (Math.abs(numeric) + Math.abs(analytic[i])) + 1e-8, "parameter " + parameter.getShape() + " entry " + i + ": analytic " + analytic[i]
                        + " vs numeric " + numeric);
            }
        }
        assertTrue(worst < 1e-5, "worst relative error " + worst);
    }

    private static double evaluate(CausalLm model, TokenCrossEntropy loss, Batch batch) {
        try (NDScope scope = new NDScope(); NDManager scratch = model.manager().newSubManager()) {
            return loss.evaluate(hidden(model, scratch, batch), batch, model.outputEmbedding(), 0)[0];
        }
    }

    private static NDArray hidden(CausalLm model, NDManager scratch, Batch batch) {
        Shape shape = new Shape(batch.rows(), batch.length());
        return model.hiddenStates(scratch.create(batch.inputIds(), shape), scratch.create(batch.positions(), shape),
                scratch.create(batch.segmentIds(), shape), false);
    }

    static EncodedExample example(int[] ids, float[] weights) {
        return new EncodedExample(ids, weights);
    }
}
