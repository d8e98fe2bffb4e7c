package dev.tooltune.model.gemma3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.model.checkpoint.SafetensorsFile;
import dev.tooltune.model.generation.GenerationOptions;
import dev.tooltune.model.generation.GenerationResult;
import dev.tooltune.model.generation.Generator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Numerical parity with Hugging Face transformers 5.17 on the committed fixtures of
 * {@code src/test/resources/parity/} (see its README: a tiny random Gemma 3 with both layer kinds, non-default
 * RoPE bases, linear scaling, query_pre_attn_scalar != head_dim, a 24-token sequence over a window of 8, and a
 * left-padded batch of lengths 19, 12, 6; references computed in float64).
 *
 * <p>Metric: relative error = max |java - reference| / max |reference|, both maxima taken over the valid
 * (attention_mask = 1) positions of the case and all vocabulary entries. Bound: 1e-4 in fp32. Padded positions are
 * not compared. Greedy continuations (12 tokens, no EOS stop) must be identical, with and without the KV cache.
 */
class Gemma3ParityTest {
    static final double MAX_RELATIVE_ERROR = 1e-4;
    static Path fixtures;
    static JsonNode cases;
    static Gemma3Model model;
    static NDManager manager;

    @BeforeAll
    static void load() throws Exception {
        fixtures = Path.of(Gemma3ParityTest.class.getResource("/parity/cases.json").toURI()).getParent();
        cases = new ObjectMapper().readTree(fixtures.resolve("cases.json").toFile());
        model = Gemma3Model.load(fixtures.resolve("tiny"));
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    static long[][] matrix(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            out[r] = new long[rows.get(r).size()];
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = rows.get(r).get(c).asLong();
            }
        }
        return out;
    }

    static long[] flat(long[][] m) {
        return java.util.Arrays.stream(m).flatMapToLong(java.util.Arrays::stream).toArray();
    }

    /** Relative error over valid positions; logits [B,T,V] flattened as Java and reference arrays. */
    static double relativeError(Gemma3Model m, String caseName, Path referenceFile) {
        JsonNode c = cases.get(caseName);
        long[][] ids = matrix(c.get("input_ids"));
        long[][] mask = matrix(c.get("attention_mask"));
        long[][] positions = matrix(c.get("position_ids"));
        int b = ids.length;
        int t = ids[0].length;
        float[] java;
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = m.forward(ModelInput.of(scope.create(flat(ids)).reshape(b, t),
                    scope.create(flat(positions)).reshape(b, t)).withKeyMask(scope.create(flat(mask)).reshape(b, t)), false);
            java = logits.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
        float[] reference;
        try (SafetensorsFile file = SafetensorsFile.open(referenceFile)) {
            reference = file.readFloats(caseName);
        }
        assertEquals(reference.length, java.length, "logits size");
        int v = reference.length / (b * t);
        double maxDiff = 0;
        double maxRef = 0;
        for (int row = 0; row < b; row++) {
            for (int col = 0; col < t; col++) {
                if (mask[row][col] == 0) {
                    continue;
                }
                int base = (row * t + col) * v;
                for (int k = 0; k < v; k++) {
                    maxDiff = Math.max(maxDiff, Math.abs(java[base + k] - reference[base + k]));
                    maxRef = Math.max(maxRef, Math.abs(reference[base + k]));
                }
            }
        }
        assertTrue(maxRef > 1, "reference logits are not degenerate");
        System.out.printf("parity %s vs %s: max|diff| %.3g, max|ref| %.4g, relative error %.3g%n", caseName,
                referenceFile.getFileName(), maxDiff, maxRef, maxDiff / maxRef);
        return maxDiff / maxRef;
    }

    @Test
    void singleSequenceLongerThanTheWindowMatchesTransformers() {
        double error = relativeError(model, "single", fixtures.resolve("logits.safetensors"));
        assertTrue(error < MAX_RELATIVE_ERROR, "relative error " + error);
    }

    @Test
    void leftPaddedBatchMatchesTransformers() {
        double error = relativeError(model, "batch", fixtures.resolve("logits.safetensors"));
        assertTrue(error < MAX_RELATIVE_ERROR, "relative error " + error);
    }

    @Test
    void bf16CheckpointIsWidenedExactly() {
        try (Gemma3Model bf16 = Gemma3Model.load(fixtures.resolve("tiny-bf16"))) {
            double error = relativeError(bf16, "single", fixtures.resolve("logits_bf16ckpt.safetensors"));
            assertTrue(error < MAX_RELATIVE_ERROR, "relative error " + error);
            error = relativeError(bf16, "batch", fixtures.resolve("logits_bf16ckpt.safetensors"));
            assertTrue(error < MAX_RELATIVE_ERROR, "relative error " + error);
        }
    }

    @Test
    void fp16ComputeStaysWithinHalfPrecision() {
        // fp16 weights and activations (norms, softmax and RoPE angles in fp32): 11 significant bits, so 1e-2.
        try (Gemma3Model half = Gemma3Model.load(fixtures.resolve("tiny"), ai.djl.ndarray.types.DataType.FLOAT16,
                ai.djl.Device.cpu())) {
            double error = relativeError(half, "batch", fixtures.resolve("logits.safetensors"));
            assertTrue(error < 1e-2, "relative error " + error);
        }
    }

    static List<int[]> prompts(String caseName) {
        JsonNode c = cases.get(caseName);
        long[][] ids = matrix(c.get("input_ids"));
        long[][] mask = matrix(c.get("attention_mask"));
        List<int[]> out = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            List<Integer> real = new ArrayList<>();
            for (int col = 0; col < ids[r].length; col++) {
                if (mask[r][col] == 1) {
                    real.add((int) ids[r][col]);
                }
            }
            out.add(real.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    /** Through the serving engine (each row in its own cache, the prompt chunked when {@code chunk} is small). */
    static void assertGreedyMatches(String caseName, int chunk) {
        long[][] expected = matrix(cases.get(caseName).get("greedy").get("new_tokens"));
        GenerationOptions options = GenerationOptions.greedy(expected[0].length).withStopTokens(Set.of());
        GenerationResult result = new Generator(model, chunk).generate(prompts(caseName), options);
        for (int r = 0; r < expected.length; r++) {
            int[] want = java.util.Arrays.stream(expected[r]).mapToInt(x -> (int) x).toArray();
            assertArrayEquals(want, result.sequences().get(r).tokens(), caseName + " row " + r + ", prefill chunks of " + chunk);
            assertEquals("length", result.sequences().get(r).finishReason());
        }
    }

    @Test
    void greedyContinuationOfTheSingleSequenceIsIdentical() {
        assertGreedyMatches("single", 512);
        assertGreedyMatches("single", 3);
    }

    @Test
    void greedyContinuationOfTheLeftPaddedBatchIsIdentical() {
        assertGreedyMatches("batch", 512);
        assertGreedyMatches("batch", 3);
    }
}
