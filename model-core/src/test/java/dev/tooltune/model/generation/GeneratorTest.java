package dev.tooltune.model.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

    @Test
    void cachedDecodingEqualsRecomputingTheWholeSequence() {
        // 14 new tokens after a 3-token prompt: the sliding layers' ring (window 4) wraps several times.
        List<int[]> prompts = List.of(prompt(3, 1), prompt(9, 2));
        GenerationResult cached = generator.generate(prompts, free(14));
        GenerationResult recomputed = generator.generate(prompts, free(14).withCache(false));
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(recomputed.sequences().get(r).tokens(), cached.sequences().get(r).tokens(), "row " + r);
            assertEquals(14, cached.sequences().get(r).tokens().length);
        }
        // sampled generation too: same seed, same draws, same logits
        GenerationOptions sampling = free(10).withSampling(0.9, 50, 0.9, 5);
        assertArrayEquals(generator.generate(prompts, sampling.withCache(false)).sequences().get(1).tokens(),
                generator.generate(prompts, sampling).sequences().get(1).tokens());
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
    void stopsOnStopStringsThroughTheDecoder() {
        int[] p = prompt(4, 7);
        int[] free = generator.generate(p, free(8)).sequences().get(0).tokens();
        // a decoder that spells token ids; stop when the 4th generated token's text appears
        java.util.function.Function<int[], String> decoder = ids -> {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                sb.append('<').append(id).append('>');
            }
            return sb.toString();
        };
        String stop = "<" + free[3] + ">";
        GenerationResult.Sequence s = generator.generate(p, free(8).withStopStrings(List.of(stop), decoder)).sequences().get(0);
        assertEquals("stop", s.finishReason());
        assertEquals(stop, s.stopString());
        assertTrue(decoder.apply(s.tokens()).endsWith(stop));
        assertTrue(s.tokens().length <= 4);
        assertEquals("<1>", Generator.cutAtStop("<1><2>", List.of("<2>")));
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
        // with top-k 3, every sampled token must be among the 3 best of its step (checked through the hook)
        List<Boolean> inTopThree = new ArrayList<>();
        int[][] bestThree = new int[1][];
        LogitsHook recordTop = (step, logits, generated) -> {
            bestThree[0] = Arrays.stream(logits.get(0).argSort(-1, false).get(":3").toType(DataType.INT32, false)
                    .toIntArray()).toArray();
            return logits;
        };
        GenerationOptions options = free(10).withSampling(3.0, 3, 1.0, 11).withLogitsHook(recordTop)
                .withListener((row, token) -> inTopThree.add(Arrays.stream(bestThree[0]).anyMatch(t -> t == token)));
        generator.generate(prompt(4, 9), options);
        assertEquals(10, inTopThree.size());
        assertFalse(inTopThree.contains(false));
    }

    @Test
    void theLogitsHookCanForbidTokens() {
        int[] p = prompt(5, 10);
        int[] free = generator.generate(p, free(6)).sequences().get(0).tokens();
        int banned = free[0];
        LogitsHook ban = (step, logits, generated) -> {
            long vocab = logits.getShape().get(1);
            NDArray mask = logits.getManager().arange(0, (int) vocab, 1, DataType.INT64).eq(banned)
                    .reshape(1, vocab).broadcast(logits.getShape());
            return NDArrays.where(mask, logits.getManager().full(logits.getShape(), Float.NEGATIVE_INFINITY), logits);
        };
        int[] constrained = generator.generate(p, free(6).withLogitsHook(ban)).sequences().get(0).tokens();
        assertNotEquals(banned, constrained[0]);
        assertFalse(Arrays.stream(constrained).anyMatch(t -> t == banned));
    }

    @Test
    void badInputIsRejectedClearly() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> generator.generate(new int[] {2, 999}, free(2))).getMessage();
        assertTrue(message.contains("999") && message.contains("vocabulary"), message);
        assertThrows(IllegalArgumentException.class, () -> free(2).withStopStrings(List.of("x"), null));
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
