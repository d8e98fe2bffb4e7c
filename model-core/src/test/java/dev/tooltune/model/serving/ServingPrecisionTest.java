package dev.tooltune.model.serving;

import dev.tooltune.model.fixtures.RandomFixtures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.checkpoint.StoredType;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.gemma3.TestModels;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * #20 item 4 on the DJL path: a bf16 checkpoint served with precision bfloat16 loads (without the native library
 * it computes in fp32 from the exactly widened bf16 values) and stays within the stated tolerance of the fp32
 * checkpoint of the same weights: max |logit difference| at most {@link #RELATIVE_TOLERANCE} of the largest |logit|
 * (bf16 keeps 8 significant bits: each weight is rounded by at most 2^-9 relative).
 */
class ServingPrecisionTest {
    static final double RELATIVE_TOLERANCE = 0.02;

    @Test
    void aBf16CheckpointServesWithinTheToleranceOfFp32(@TempDir Path dir) throws Exception {
        RandomInit init = new RandomInit(21, 0.15, 0.3);
        Gemma3Model.writeRandomCheckpoint(TestModels.config(), init, dir.resolve("f32"), StoredType.F32);
        Gemma3Model.writeRandomCheckpoint(TestModels.config(), init, dir.resolve("bf16"), StoredType.BF16);
        try (Gemma3Model fp32 = Gemma3Model.load(dir.resolve("f32"), DataType.FLOAT32, Device.cpu());
             Gemma3Model bf16 = Gemma3Model.load(dir.resolve("bf16"), DataType.BFLOAT16, Device.cpu())) {
            double worst = 0;
            for (int seed = 0; seed < 4; seed++) {
                int[] prompt = RandomFixtures.prompt(12 + 5 * seed, seed, fp32.config().vocabSize());
                float[] reference = lastLogits(fp32, prompt);
                float[] reduced = lastLogits(bf16, prompt);
                double maxLogit = 0;
                double maxDifference = 0;
                for (int i = 0; i < reference.length; i++) {
                    maxLogit = Math.max(maxLogit, Math.abs(reference[i]));
                    maxDifference = Math.max(maxDifference, Math.abs(reference[i] - reduced[i]));
                }
                worst = Math.max(worst, maxDifference / maxLogit);
            }
            System.out.printf("bf16 checkpoint vs fp32: max |logit difference| / max |logit| = %.5f%n", worst);
            assertTrue(worst > 0, "the bf16 checkpoint gave exactly the fp32 logits: its weights were not rounded");
            assertTrue(worst <= RELATIVE_TOLERANCE, "bf16 logits off by " + worst + " of the largest logit");

            try (ServingEngine engine = ServingEngine.start(bf16, ServingConfig.defaults().withStopTokens(Set.of()))) {
                Completion c = engine.submit(GenerationRequest.greedy(RandomFixtures.prompt(9, 1, 300), 6))
                        .result().get(60, TimeUnit.SECONDS);
                assertEquals(6, c.tokens().length);
            }
        }
    }

    static float[] lastLogits(Gemma3Model model, int[] prompt) {
        try (NDManager scope = model.manager().newSubManager()) {
            long[] ids = java.util.Arrays.stream(prompt).asLongStream().toArray();
            ModelInput input = ModelInput.of(scope.create(ids).reshape(1, ids.length),
                    scope.create(LongStream.range(0, ids.length).toArray()).reshape(1, ids.length));
            return model.lastLogits(input).toFloatArray();
        }
    }
}
