package dev.tooltune.model.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.gemma3.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link Generator} as a client of the serving engine: against recomputation, batch against alone, stops, sampling. */
class GeneratorTest {
    static Gemma3Model model;
    static Generator generator;

    @BeforeAll
    static void build() {
        model = TestModels.model(TestModels.config(), 17);
        generator = new Generator(model);
    }

    @AfterAll
    static void release() {
        model.close();
    }

    static int[] prompt(int n, int seed) {
        java.util.Random r = new java.util.Random(seed);
        int[] out = new int[n];
        out[0] = 2;
        for (int i = 1; i < n; i++) {
            out[i] = 3 + r.nextInt(290);
        }
        return out;
    }

    static GenerationOptions free(int max) {
        return GenerationOptions.greedy(max).withStopTokens(Set.of());
    }

    /** Logits [V] of the last position, recomputing the whole sequence without any cache: the reference. */
    static float[] recomputedLastLogits(int[] sequence) {
        try (NDManager scope = model.manager().newSubManager()) {
            long[] ids = Arrays.stream(sequence).asLongStream().toArray();
            long[] positions = java.util.stream.LongStream.range(0, sequence.length).toArray();
            ModelInput input = ModelInput.of(scope.create(ids).reshape(1, ids.length),
                    scope.create(positions).reshape(1, ids.length));
            return model.forward(input, false).get("0, -1, :").toFloatArray();
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void cachedDecodingEqualsRecomputingTheWholeSequence() {
        // 14 new tokens after a 3- and a 9-token prompt: the sliding layers' ring (window 4) wraps several times;
        // prefill chunks of 2 cross it too
        List<int[]> prompts = List.of(prompt(3, 1), prompt(9, 2));
        GenerationResult cached = new Generator(model, 2).generate(prompts, free(14));
        for (int r = 0; r < prompts.size(); r++) {
            int[] sequence = prompts.get(r);
            for (int step = 0; step < 14; step++) {
                int next = argmax(recomputedLastLogits(sequence));
                sequence = Arrays.copyOf(sequence, sequence.length + 1);
                sequence[sequence.length - 1] = next;
            }
            assertArrayEquals(Arrays.copyOfRange(sequence, prompts.get(r).length, sequence.length),
                    cached.sequences().get(r).tokens(), "row " + r);
        }
    }

    @Test
    void aBatchOfDifferentLengthsEqualsEachPromptAlone() {
        List<int[]> prompts = List.of(prompt(2, 3), prompt(11, 4), prompt(6, 5));
        GenerationResult batch = generator.generate(prompts, free(8));
        for (int r = 0; r < prompts.size(); r++) {
            GenerationResult alone = generator.generate(prompts.get(r), free(8));
            assertArrayEquals(alone.sequences().get(0).tokens(), batch.sequences().get(r).tokens(), "row " + r);
        }
    }

    @Test
    void stopsOnStopTokensAndReportsWhy() {
        int[] p = prompt(5, 6);
        int[] free = generator.generate(p, free(6)).sequences().get(0).tokens();
        // make the third generated token a stop token: output is the two before it
        GenerationResult stopped = generator.generate(p, free(6).withStopTokens(Set.of(free[2])));
        GenerationResult.Sequence s = stopped.sequences().get(0);
        int firstStop = 0;
        while (free[firstStop] != free[2]) {
            firstStop++;
        }
        assertArrayEquals(Arrays.copyOf(free, firstStop), s.tokens());
        assertEquals("stop", s.finishReason());
        assertEquals(free[2], s.stopToken());
        assertEquals("length", generator.generate(p, free(3)).sequences().get(0).finishReason());
    }

    @Test
    void samplingIsSeededAndRespectsTopK() {
        int[] p = prompt(5, 8);
        GenerationOptions sampling = free(12).withSampling(1.5, 0, 1.0, 42);
        int[] a = generator.generate(p, sampling).sequences().get(0).tokens();
        int[] b = generator.generate(p, sampling).sequences().get(0).tokens();
        assertArrayEquals(a, b, "same seed, same tokens");
        int[] c = generator.generate(p, sampling.withSampling(1.5, 0, 1.0, 43)).sequences().get(0).tokens();
        assertFalse(Arrays.equals(a, c), "another seed, other tokens (at temperature 1.5 over 300 tokens)");
        // top-k 1 is greedy whatever the temperature
        assertArrayEquals(generator.generate(p, free(12)).sequences().get(0).tokens(),
                generator.generate(p, sampling.withSampling(5.0, 1, 1.0, 7)).sequences().get(0).tokens());
        // a tiny top-p keeps only the most likely token: greedy again
        assertArrayEquals(generator.generate(p, free(12)).sequences().get(0).tokens(),
                generator.generate(p, sampling.withSampling(1.0, 0, 1e-6, 7)).sequences().get(0).tokens());
    }

    @Test
    void topKLimitsTheCandidates() {
        // with top-k 3 at a high temperature, every sampled token is among the 3 best of its step
        int[] p = prompt(4, 9);
        List<Integer> streamed = new ArrayList<>();
        int[] tokens = generator.generate(p, free(10).withSampling(3.0, 3, 1.0, 11)
                .withListener((row, token) -> streamed.add(token))).sequences().get(0).tokens();
        assertEquals(10, tokens.length);
        assertEquals(Arrays.stream(tokens).boxed().toList(), streamed);
        int[] sequence = p;
        for (int token : tokens) {
            float[] logits = recomputedLastLogits(sequence);
            int better = 0;
            for (float l : logits) {
                better += l > logits[token] ? 1 : 0;
            }
            assertTrue(better < 3, "token " + token + " has " + better + " better candidates");
            sequence = Arrays.copyOf(sequence, sequence.length + 1);
            sequence[sequence.length - 1] = token;
        }
    }

    @Test
    void badInputIsRejectedClearly() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> generator.generate(new int[] {2, 999}, free(2))).getMessage();
        assertTrue(message.contains("999") && message.contains("vocabulary"), message);
        assertThrows(IllegalArgumentException.class, () -> free(2).withSampling(1.0, 0, 0.0, 1));
    }

    @Test
    void longGenerationsDoNotAccumulateArrays() {
        int[] p = prompt(4, 12);
        generator.generate(p, free(3));
        int before = ((ai.djl.ndarray.BaseNDManager) model.manager()).getManagedArrays().size();
        generator.generate(p, free(20));
        assertEquals(before, ((ai.djl.ndarray.BaseNDManager) model.manager()).getManagedArrays().size());
    }
}
