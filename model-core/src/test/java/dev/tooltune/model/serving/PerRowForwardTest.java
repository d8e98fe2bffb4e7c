package dev.tooltune.model.serving;

import dev.tooltune.model.fixtures.RandomFixtures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.KvCache;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.gemma3.TestModels;
import dev.tooltune.model.lora.AdapterBatch;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.PeftAdapterFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model-level pieces of serving, compared logit by logit: per-row adapters in one batch against each row alone
 * and against the attached-adapter reference, and a prefix copied out of one cache into another.
 */
class PerRowForwardTest {
    /** fp32 on the CPU: a batched matmul may sum in another order than a single row's; 1e-5 of the logit scale. */
    static final float TOLERANCE = 1e-4f;

    static Gemma3Model model;
    static LoraAdapter a;
    static LoraAdapter b;
    @TempDir
    static Path directory;

    @BeforeAll
    static void build() {
        model = TestModels.model(TestModels.config(), 23);
        var projections = new ArrayList<>(model.projections().values());
        a = PeftAdapterFiles.load(RandomFixtures.adapter(model, directory.resolve("a"), 4,
                Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), 1, 0.5), model.manager(), projections);
        b = PeftAdapterFiles.load(RandomFixtures.adapter(model, directory.resolve("b"), 2, Set.of("v_proj", "up_proj"), 2, 0.5),
                model.manager(), projections);
    }

    @AfterAll
    static void release() {
        a.close();
        b.close();
        model.close();
    }

    /** Last-position logits [B,V] of tokens fed after each row's cache, with each row's adapter. */
    static float[][] step(NDManager scope, List<KvCache> caches, int[][] tokens, List<LoraAdapter> adapters) {
        int rows = caches.size();
        int t = tokens[0].length;
        long[] ids = new long[rows * t];
        long[] positions = new long[rows * t];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < t; j++) {
                ids[r * t + j] = tokens[r][j];
                positions[r * t + j] = caches.get(r).length() + j;
            }
        }
        try (AdapterBatch delta = new AdapterBatch(adapters, scope, model.computeType())) {
            ModelInput input = ModelInput.of(scope.create(ids).reshape(rows, t), scope.create(positions).reshape(rows, t))
                    .withRowCaches(caches).withDelta(delta);
            NDArray logits = model.lastLogits(input);
            float[][] out = new float[rows][];
            for (int r = 0; r < rows; r++) {
                out[r] = logits.get(r).toFloatArray();
            }
            return out;
        }
    }

    static float maxDifference(float[] x, float[] y) {
        float max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    @Test
    void aMixedBatchGivesEachRowItsLogitsAloneInPrefillAndDecode() {
        int vocab = model.config().vocabSize();
        int[][] prompts = {RandomFixtures.prompt(7, 1, vocab), RandomFixtures.prompt(3, 2, vocab), RandomFixtures.prompt(10, 3, vocab)};
        List<LoraAdapter> rows = Arrays.asList(a, b, null);
        try (NDManager scope = model.manager().newSubManager()) {
            List<KvCache> alone = new ArrayList<>();
            List<KvCache> batched = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                alone.add(new KvCache(model.config(), 1, 32, model.computeType(), scope));
                batched.add(new KvCache(model.config(), 1, 32, model.computeType(), scope));
                // Prefill: each row alone (prompts differ in length), once for each copy.
                float[] p1 = step(scope, List.of(alone.get(r)), new int[][] {prompts[r]}, Arrays.asList(rows.get(r)))[0];
                float[] p2 = step(scope, List.of(batched.get(r)), new int[][] {prompts[r]}, Arrays.asList(rows.get(r)))[0];
                assertArrayEquals(p1, p2);
            }
            // Decode 12 steps (the window-4 rings wrap): all three rows in one batch vs each row alone.
            int[] next = {5, 6, 7};
            for (int s = 0; s < 12; s++) {
                float[][] together = step(scope, batched, new int[][] {{next[0]}, {next[1]}, {next[2]}}, rows);
                for (int r = 0; r < 3; r++) {
                    float[] single = step(scope, List.of(alone.get(r)), new int[][] {{next[r]}}, Arrays.asList(rows.get(r)))[0];
                    float difference = maxDifference(single, together[r]);
                    assertTrue(difference < TOLERANCE, "step " + s + " row " + r + ": " + difference);
                    next[r] = argMax(single);
                }
            }
        }
    }

    @Test
    void thePerRowUpdateEqualsTheAdapterAttachedToTheModel() {
        int vocab = model.config().vocabSize();
        int[] prompt = RandomFixtures.prompt(9, 4, vocab);
        for (LoraAdapter adapter : List.of(a, b)) {
            try (NDManager scope = model.manager().newSubManager()) {
                KvCache cache = new KvCache(model.config(), 1, 16, model.computeType(), scope);
                float[] perRow = step(scope, List.of(cache), new int[][] {prompt}, Arrays.asList(adapter))[0];
                float[] base = step(scope, List.of(new KvCache(model.config(), 1, 16, model.computeType(), scope)),
                        new int[][] {prompt}, Arrays.asList((LoraAdapter) null))[0];
                adapter.attach();
                float[] attached;
                try {
                    long[] ids = Arrays.stream(prompt).asLongStream().toArray();
                    long[] positions = new long[prompt.length];
                    for (int i = 0; i < positions.length; i++) {
                        positions[i] = i;
                    }
                    attached = model.lastLogits(ModelInput.of(scope.create(ids).reshape(1, -1),
                            scope.create(positions).reshape(1, -1))).get(0).toFloatArray();
                } finally {
                    adapter.detach();
                }
                assertTrue(maxDifference(perRow, attached) < TOLERANCE, "per-row vs attached: " + maxDifference(perRow, attached));
                assertTrue(maxDifference(perRow, base) > 0.05, "the adapter changes the logits");
            }
        }
    }

    @Test
    void aCopiedPrefixGivesIdenticalLogitsToTheCacheItCameFrom() {
        int vocab = model.config().vocabSize();
        int[] prompt = RandomFixtures.prompt(15, 5, vocab);
        int border = 9;   // past the window of 4: the copied ring has wrapped
        int[] prefix = Arrays.copyOf(prompt, border);
        int[] rest = Arrays.copyOfRange(prompt, border, prompt.length);
        for (LoraAdapter adapter : Arrays.asList(null, a)) {
            try (NDManager scope = model.manager().newSubManager()) {
                KvCache cold = new KvCache(model.config(), 1, 30, model.computeType(), scope);
                step(scope, List.of(cold), new int[][] {prefix}, Arrays.asList(adapter));
                KvCache stored = cold.copy(border, scope);                          // what the prefix cache keeps
                float[] coldLogits = step(scope, List.of(cold), new int[][] {rest}, Arrays.asList(adapter))[0];
                KvCache warm = stored.copy(30, scope);                              // what a hit hands out
                float[] warmLogits = step(scope, List.of(warm), new int[][] {rest}, Arrays.asList(adapter))[0];
                assertArrayEquals(coldLogits, warmLogits);
                for (int s = 0; s < 6; s++) {
                    int token = argMax(coldLogits);
                    coldLogits = step(scope, List.of(cold), new int[][] {{token}}, Arrays.asList(adapter))[0];
                    warmLogits = step(scope, List.of(warm), new int[][] {{token}}, Arrays.asList(adapter))[0];
                    assertArrayEquals(coldLogits, warmLogits, "decode step " + s);
                }
            }
        }
        // A short prefix (shorter than the window): the stored ring is smaller than the request's.
        try (NDManager scope = model.manager().newSubManager()) {
            KvCache cold = new KvCache(model.config(), 1, 30, model.computeType(), scope);
            step(scope, List.of(cold), new int[][] {Arrays.copyOf(prompt, 3)}, Arrays.asList((LoraAdapter) null));
            KvCache warm = cold.copy(3, scope).copy(30, scope);
            int[] more = Arrays.copyOfRange(prompt, 3, 8);
            assertArrayEquals(step(scope, List.of(cold), new int[][] {more}, Arrays.asList((LoraAdapter) null))[0],
                    step(scope, List.of(warm), new int[][] {more}, Arrays.asList((LoraAdapter) null))[0]);
        }
    }

    static int argMax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
