package dev.tooltune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** On the real Gemma 3 forward, a padded batch and a packed batch give each example the loss it has alone. */
class GemmaBatchingTest {

    @Test
    void paddedAndPackedBatchesMatchExamplesAlone() {
        List<EncodedExample> examples = TrainerTest.dataset(3, 8);
        TokenCrossEntropy loss = new TokenCrossEntropy(5);
        try (Gemma3Model model = TestModels.model(TestModels.config(), 4)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            double aloneTotal = 0;
            double aloneWeight = 0;
            for (EncodedExample example : examples) {
                double[] sums = sums(lm, loss, Batch.padded(List.of(example)));
                aloneTotal += sums[0];
                aloneWeight += sums[1];
            }
            double[] padded = sums(lm, loss, Batch.padded(examples));
            double[] packed = sums(lm, loss, Batch.packed(examples, 64, 4).get(0));
            System.out.printf("gemma batching: alone %.6f padded %.6f packed %.6f%n", aloneTotal / aloneWeight,
                    padded[0] / padded[1], packed[0] / packed[1]);
            assertEquals(aloneTotal / aloneWeight, padded[0] / padded[1], 1e-4);
            assertEquals(aloneTotal / aloneWeight, packed[0] / packed[1], 1e-4);
        }
    }

    static double[] sums(GemmaCausalLm lm, TokenCrossEntropy loss, Batch batch) {
        try (NDScope scope = new NDScope(); NDManager scratch = lm.manager().newSubManager()) {
            Shape shape = new Shape(batch.rows(), batch.length());
            NDArray hidden = lm.hiddenStates(scratch.create(batch.inputIds(), shape), scratch.create(batch.positions(), shape),
                    scratch.create(batch.segmentIds(), shape), false);
            return loss.evaluate(hidden, batch, lm.outputEmbedding(), 0);
        }
    }
}
