package dev.tooltune.model.gemma3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.checkpoint.StoredType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.layers.Projection;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants the forward pass must keep whatever the weights: padding, packing and caching change nothing for
 * the real tokens; the future is invisible; the sliding window really is a window. The numbers themselves are
 * proven against transformers in Gemma3ParityTest.
 */
class Gemma3ModelTest {
    static final double TOLERANCE = 2e-5;
    static Gemma3Config config;
    static Gemma3Model model;
    static NDManager manager;

    @BeforeAll
    static void build() {
        config = TestModels.config();
        model = TestModels.model(config, 7);
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void release() {
        model.close();
        manager.close();
    }

    static long[] tokens(int n, int seed) {
        long[] out = new long[n];
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            out[i] = 3 + r.nextInt(290);
        }
        return out;
    }

    static long[] range(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    /** logits [T,V] of one unpadded sequence */
    static float[][] single(long[] ids) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = model.forward(ModelInput.of(scope.create(ids).reshape(1, -1),
                    scope.create(range(ids.length)).reshape(1, -1)), false);
            return rows(logits.reshape(ids.length, -1));
        }
    }

    static float[][] rows(NDArray matrix) {
        int t = (int) matrix.getShape().get(0);
        float[][] out = new float[t][];
        for (int i = 0; i < t; i++) {
            out[i] = matrix.get(i).toFloatArray();
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double max = 0;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= TOLERANCE * Math.max(1, max),
                    what + " element " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }

    @Test
    void logitsHaveTheRightShapeAndAreFinite() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = model.forward(ModelInput.of(scope.create(tokens(9, 1)).reshape(1, 9),
                    scope.create(range(9)).reshape(1, 9)), false);
            assertEquals(new Shape(1, 9, 300), logits.getShape());
            assertEquals(DataType.FLOAT32, logits.getDataType());
            assertFalse(logits.isNaN().any().getBoolean());
            assertTrue(logits.abs().max().getFloat() > 0.1f, "logits are not degenerate");
        }
    }

    @Test
    void leftPaddedBatchEqualsEachSequenceAlone() {
        long[] a = tokens(5, 2);
        long[] b = tokens(11, 3); // longer than the window of 4
        int t = 11;
        long[] ids = new long[2 * t];
        long[] pos = new long[2 * t];
        long[] mask = new long[2 * t];
        for (int i = 0; i < t; i++) {
            int pad = t - a.length;
            ids[i] = i < pad ? 0 : a[i - pad];
            pos[i] = i < pad ? 1 : i - pad; // transformers fills padded positions with 1
            mask[i] = i < pad ? 0 : 1;
            ids[t + i] = b[i];
            pos[t + i] = i;
            mask[t + i] = 1;
        }
        float[][] aloneA = single(a);
        float[][] aloneB = single(b);
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = model.forward(ModelInput.of(scope.create(ids).reshape(2, t), scope.create(pos).reshape(2, t))
                    .withKeyMask(scope.create(mask).reshape(2, t)), false);
            assertFalse(logits.isNaN().any().getBoolean(), "padded rows must not produce NaN");
            float[][] rowA = rows(logits.get(0));
            float[][] rowB = rows(logits.get(1));
            for (int i = 0; i < a.length; i++) {
                assertClose(aloneA[i], rowA[t - a.length + i], "padded row, token " + i);
            }
            for (int i = 0; i < t; i++) {
                assertClose(aloneB[i], rowB[i], "full row, token " + i);
            }
        }
    }

    @Test
    void rightPaddingLeavesRealTokensUnchanged() {
        long[] a = tokens(6, 4);
        long[] ids = new long[9];
        long[] mask = new long[9];
        System.arraycopy(a, 0, ids, 0, 6);
        for (int i = 0; i < 6; i++) {
            mask[i] = 1;
        }
        float[][] alone = single(a);
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = model.forward(ModelInput.of(scope.create(ids).reshape(1, 9), scope.create(range(9)).reshape(1, 9))
                    .withKeyMask(scope.create(mask).reshape(1, 9)), false);
            float[][] got = rows(logits.get(0));
            for (int i = 0; i < 6; i++) {
                assertClose(alone[i], got[i], "token " + i);
            }
        }
    }

    @Test
    void packedSequencesDoNotSeeEachOther() {
        long[] a = tokens(6, 5);
        long[] b = tokens(7, 6);
        long[] ids = new long[13];
        long[] pos = new long[13];
        long[] seg = new long[13];
        for (int i = 0; i < 13; i++) {
            ids[i] = i < 6 ? a[i] : b[i - 6];
            pos[i] = i < 6 ? i : i - 6;
            seg[i] = i < 6 ? 1 : 2;
        }
        float[][] aloneA = single(a);
        float[][] aloneB = single(b);
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = model.forward(ModelInput.of(scope.create(ids).reshape(1, 13), scope.create(pos).reshape(1, 13))
                    .withSegments(scope.create(seg).reshape(1, 13)), false);
            float[][] got = rows(logits.get(0));
            for (int i = 0; i < 13; i++) {
                assertClose(i < 6 ? aloneA[i] : aloneB[i - 6], got[i], "packed token " + i);
            }
        }
    }

    @Test
    void futureTokensAreInvisible() {
        long[] ids = tokens(8, 7);
        long[] changed = ids.clone();
        changed[5] = (changed[5] + 17) % 300;
        float[][] x = single(ids);
        float[][] y = single(changed);
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(x[i], y[i], 1e-6f, "token " + i);
        }
        assertFalse(java.util.Arrays.equals(x[5], y[5]), "the changed token itself must matter");
    }

    @Test
    void slidingWindowHidesOldTokensFromLocalLayers() {
        // A model whose layers are all sliding (window 4) and one layer deep: token i sees exactly i-3..i.
        Gemma3Config.Builder b = config.toBuilder();
        b.numHiddenLayers = 1;
        b.layerTypes = List.of(Gemma3Config.SLIDING);
        try (Gemma3Model local = TestModels.model(b.build(), 3); NDManager scope = manager.newSubManager()) {
            long[] ids = tokens(8, 8);
            long[] changed = ids.clone();
            changed[2] = (changed[2] + 11) % 300;
            NDArray x = local.forward(ModelInput.of(scope.create(ids).reshape(1, 8), scope.create(range(8)).reshape(1, 8)), false);
            NDArray y = local.forward(ModelInput.of(scope.create(changed).reshape(1, 8), scope.create(range(8)).reshape(1, 8)), false);
            float[][] rx = rows(x.get(0));
            float[][] ry = rows(y.get(0));
            for (int i = 2; i <= 5; i++) {
                assertFalse(java.util.Arrays.equals(rx[i], ry[i]), "token " + i + " is inside the window of token 2");
            }
            for (int i = 6; i < 8; i++) {
                assertArrayEquals(rx[i], ry[i], 1e-6f, "token " + i + " is outside the window");
            }
        }
    }

    @Test
    void cachedChunksEqualOneFullForward() {
        long[] ids = tokens(15, 9);
        float[][] full = single(ids);
        // chunks: prefill 3, then single tokens across the ring wrap, then a chunk of 6 (> window), then 1 more
        int[] chunks = {3, 1, 1, 1, 1, 6, 1, 1};
        try (NDManager scope = manager.newSubManager();
             KvCache cache = new KvCache(config, 1, 15, DataType.FLOAT32, scope)) {
            int at = 0;
            for (int chunk : chunks) {
                try (NDManager step = scope.newSubManager()) {
                    long[] part = java.util.Arrays.copyOfRange(ids, at, at + chunk);
                    long[] pos = new long[chunk];
                    for (int i = 0; i < chunk; i++) {
                        pos[i] = at + i;
                    }
                    NDArray logits = model.forward(ModelInput.of(step.create(part).reshape(1, chunk),
                            step.create(pos).reshape(1, chunk)).withCache(cache), false);
                    float[][] got = rows(logits.get(0));
                    for (int i = 0; i < chunk; i++) {
                        assertClose(full[at + i], got[i], "cached token " + (at + i));
                    }
                }
                at += chunk;
            }
            assertEquals(15, cache.length());
        }
    }

    @Test
    void softcappingAndUntiedHeadWork() {
        Gemma3Config capped = TestModels.withSoftcapping();
        try (Gemma3Model m = TestModels.model(capped, 11); NDManager scope = manager.newSubManager()) {
            NDArray logits = m.forward(ModelInput.of(scope.create(tokens(6, 1)).reshape(1, 6),
                    scope.create(range(6)).reshape(1, 6)), false);
            assertTrue(logits.abs().max().getFloat() <= 3.0f, "final softcap bounds the logits");
            assertNotNull(m.parameters().get("lm_head.weight"));
        }
    }

    @Test
    void projectionsAndParametersUseHuggingFaceNames() {
        Map<String, Projection> projections = model.projections();
        assertEquals(5 * 7, projections.size());
        assertEquals("model.layers.0.self_attn.q_proj", projections.keySet().iterator().next());
        assertTrue(projections.containsKey("model.layers.4.mlp.down_proj"));
        // q_proj is [heads * headDim, hidden] = [32, 32]; k_proj [kvHeads * headDim, hidden] = [16, 32]
        assertEquals(32, projections.get("model.layers.0.self_attn.q_proj").get().outFeatures());
        assertEquals(16, projections.get("model.layers.0.self_attn.k_proj").get().outFeatures());
        Map<String, NDArray> parameters = model.parameters();
        assertEquals(1 + 5 * 13 + 1, parameters.size());
        assertEquals(config.parameterCount(), parameters.values().stream().mapToLong(a -> a.getShape().size()).sum());
        assertTrue(parameters.containsKey("model.layers.2.pre_feedforward_layernorm.weight"));
    }

    @Test
    void projectionSlotsAreReadAtEachForward() {
        // Replacing a slot's Linear must change the output: the seam LoRA and NF4 rely on.
        long[] ids = tokens(4, 12);
        float[][] before = single(ids);
        Projection slot = model.projections().get("model.layers.1.mlp.up_proj");
        var original = slot.get();
        try {
            slot.set(new dev.tooltune.model.layers.Linear() {
                public NDArray forward(NDArray x, boolean training) {
                    return original.forward(x, training).mul(0f);
                }
                public long inFeatures() { return original.inFeatures(); }
                public long outFeatures() { return original.outFeatures(); }
                public void close() { }
            });
            float[][] after = single(ids);
            assertFalse(java.util.Arrays.equals(before[0], after[0]));
        } finally {
            slot.set(original);
        }
        assertArrayEquals(before[0], single(ids)[0], 0f);
    }

    @Test
    void gradientsReachEveryTrainableWeight() {
        try (Gemma3Model m = TestModels.model(config, 5); NDManager scope = manager.newSubManager()) {
            List<String> trainable = m.setTrainable(name -> true);
            assertEquals(m.parameters().size(), trainable.size());
            try (var collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray logits = m.forward(ModelInput.of(scope.create(tokens(6, 2)).reshape(1, 6),
                        scope.create(range(6)).reshape(1, 6)).withKeyMask(scope.ones(new Shape(1, 6), DataType.INT64)), true);
                NDArray loss = logits.logSoftmax(-1).get(new NDIndex(":, :, 5")).mean().neg();
                collector.backward(loss);
            }
            for (Map.Entry<String, NDArray> p : m.parameters().entrySet()) {
                NDArray grad = p.getValue().getGradient();
                assertFalse(grad.isNaN().any().getBoolean(), p.getKey());
                assertTrue(grad.abs().sum().getFloat() > 0, "no gradient reached " + p.getKey());
            }
        }
    }

    /**
     * Autograd keeps what the forward pass saved until backward; a constant DJL backs with a Java buffer it frees
     * at once (mul(Number)) is then read after free. Garbage collection and fresh allocations between forward and
     * backward must not change a single gradient.
     */
    @Test
    void gradientsSurviveGarbageCollectionBetweenForwardAndBackward() throws InterruptedException {
        Map<String, float[]> calm = gradients(false);
        Map<String, float[]> collected = gradients(true);
        for (Map.Entry<String, float[]> g : calm.entrySet()) {
            assertArrayEquals(g.getValue(), collected.get(g.getKey()), 1e-6f, g.getKey());
        }
    }

    private Map<String, float[]> gradients(boolean collectGarbage) throws InterruptedException {
        Map<String, float[]> out = new java.util.TreeMap<>();
        try (Gemma3Model m = TestModels.model(config, 5); NDManager scope = manager.newSubManager()) {
            m.setTrainable(name -> true);
            try (var collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray ids = scope.create(tokens(6, 2)).reshape(1, 6).duplicate();   // libtorch-owned ids
                NDArray logits = m.forward(ModelInput.of(ids, scope.create(range(6)).reshape(1, 6).duplicate()), true);
                NDArray loss = logits.logSoftmax(-1).get(new NDIndex(":, :, 5")).mean().neg();
                if (collectGarbage) {
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                        Thread.sleep(20);
                        // reuse freed native memory with garbage (NaN) so a read after free cannot go unnoticed
                        for (int j = 0; j < 2000; j++) {
                            java.nio.ByteBuffer junk = java.nio.ByteBuffer.allocateDirect(4 << (j % 6));
                            while (junk.remaining() >= 4) {
                                junk.putFloat(Float.NaN);
                            }
                        }
                    }
                }
                collector.backward(loss);
            }
            for (Map.Entry<String, NDArray> p : m.parameters().entrySet()) {
                out.put(p.getKey(), p.getValue().getGradient().toFloatArray());
            }
        }
        return out;
    }

    @Test
    void randomCheckpointLoadsBackIdentically(@TempDir Path dir) {
        RandomInit init = new RandomInit(21, 0.15, 0.3);
        Gemma3Model.writeRandomCheckpoint(config, init, dir, StoredType.F32);
        try (Gemma3Model loaded = Gemma3Model.load(dir);
             Gemma3Model inMemory = Gemma3Model.random(config, init, DataType.FLOAT32, ai.djl.Device.cpu())) {
            for (Map.Entry<String, NDArray> p : inMemory.parameters().entrySet()) {
                assertArrayEquals(p.getValue().toFloatArray(), loaded.parameters().get(p.getKey()).toFloatArray(), 0f, p.getKey());
            }
        }
        Path bf16 = dir.resolve("bf16");
        Gemma3Model.writeRandomCheckpoint(config, init, bf16, StoredType.BF16);
        try (Gemma3Model loaded = Gemma3Model.load(bf16)) {
            assertEquals(config.toJson(), loaded.config().toJson());
        }
    }

    @Test
    void repeatedForwardsDoNotLeakArraysIntoTheModel() {
        long[] ids = tokens(6, 13);
        single(ids);
        int before = countArrays(model.manager());
        for (int i = 0; i < 3; i++) {
            single(ids);
        }
        assertEquals(before, countArrays(model.manager()));
    }

    static int countArrays(NDManager m) {
        // BaseNDManager keeps its resources in a map; the debug dump counts them.
        return ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
    }
}
