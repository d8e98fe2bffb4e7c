package dev.tooltune.model.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4Test {

    @Test
    void codeBooksHaveBitsandbytesValues() {
        assertEquals(16, Nf4.CODE.length);
        assertEquals(-1f, Nf4.CODE[0]);
        assertEquals(0f, Nf4.CODE[7]);
        assertEquals(0.07958029955625534f, Nf4.CODE[8]);
        assertEquals(1f, Nf4.CODE[15]);

        assertEquals(256, DynamicCode.CODE.length);
        assertEquals(0f, DynamicCode.CODE[127]);
        assertEquals(1f, DynamicCode.CODE[255]);
        // smallest magnitude: the single midpoint of linspace(0.1, 1, 2) in the 1e-6 decade
        assertEquals(0.55e-6f, DynamicCode.CODE[128], 1e-12f);
        // largest negative: last midpoint of linspace(0.1, 1, 65) in the 1e0 decade
        assertEquals(-0.99296875f, DynamicCode.CODE[0], 1e-7f);
        for (int i = 1; i < 256; i++) {
            assertTrue(DynamicCode.CODE[i] > DynamicCode.CODE[i - 1], "dynamic code strictly ascending at " + i);
        }
    }

    @Test
    void packsFirstElementIntoHighNibble() {
        float[] absmax = new float[1];
        byte[] packed = Nf4.quantize(new float[] {-2f, 2f, 0f, 2 * 0.5626170039176941f}, absmax);
        assertEquals(2f, absmax[0]);
        assertEquals((byte) 0x0F, packed[0]);
        assertEquals((byte) 0x7D, packed[1]);
    }

    @Test
    void codeValuesTimesAbsmaxRoundTripExactly() {
        float[] values = new float[128];
        for (int i = 0; i < values.length; i++) {
            values[i] = Nf4.CODE[(i * 7) % 16] * (i < 64 ? 0.25f : 3f);
        }
        values[0] = -0.25f; // each block holds its absmax, so the scale is exact
        values[64] = 3f;
        float[] absmax = new float[2];
        float[] restored = Nf4.dequantize(Nf4.quantize(values, absmax), absmax, values.length);
        assertArrayEquals(values, restored);
    }

    @Test
    void nearestCodeBreaksTiesDownwardsAndClampsExtremes() {
        float midpoint = (Nf4.CODE[7] + Nf4.CODE[8]) / 2f;
        assertEquals(7, Nf4.nearestCode(midpoint));
        assertEquals(8, Nf4.nearestCode(Math.nextUp(midpoint)));
        assertEquals(0, DynamicCode.nearest(-1f));
        assertEquals(255, DynamicCode.nearest(1f));
        assertEquals(127, DynamicCode.nearest(1e-7f));
    }

    @Test
    void gaussianRoundTripErrorIsWithinHalfTheWidestCodeGap() {
        int rows = 96;
        int columns = 200; // 19,200 values: 300 blocks of 64, 2 second-level blocks (one partial)
        float[] weight = gaussian(rows * columns, 0.02, 1);
        Nf4Weight nf4 = Nf4Weight.quantize(weight, rows, columns);
        float[] exactAbsmax = new float[Nf4.blockCount(weight.length)];
        Nf4.quantize(weight, exactAbsmax);
        float[] absmax = nf4.absmax();
        float maxCentred = 0;
        for (float a : exactAbsmax) {
            maxCentred = Math.max(maxCentred, Math.abs(a - nf4.absmaxOffset()));
        }
        for (int b = 0; b < absmax.length; b++) {
            // 8-bit dynamic code: at most half a step (0.9/64) of its top decade
            assertEquals(exactAbsmax[b], absmax[b], 0.00704f * maxCentred + 1e-7f, "absmax of block " + b);
        }
        float[] restored = nf4.dequantize();
        double squaredError = 0;
        double squared = 0;
        float halfWidestGap = (Nf4.CODE[1] - Nf4.CODE[0]) / 2f;
        for (int i = 0; i < weight.length; i++) {
            float bound = halfWidestGap * absmax[i / 64] + Math.abs(absmax[i / 64] - exactAbsmax[i / 64]) + 1e-7f;
            assertTrue(Math.abs(weight[i] - restored[i]) <= bound, "value " + i);
            squaredError += (weight[i] - restored[i]) * (double) (weight[i] - restored[i]);
            squared += weight[i] * (double) weight[i];
        }
        double relativeRms = Math.sqrt(squaredError / squared);
        // NF4 on Gaussian weights: about 10% relative RMS error (QLoRA paper); far above would mean a bug
        assertTrue(relativeRms < 0.12, "relative RMS error " + relativeRms);
        assertTrue(relativeRms > 0.02, "suspiciously exact: " + relativeRms);
    }

    @Test
    void linearMatchesHostDequantisationAndPacksIntoAboutFourBitsPerValue() {
        int out = 48;
        int in = 128;
        float[] weight = gaussian(out * in, 0.05, 2);
        Nf4Weight nf4 = Nf4Weight.quantize(weight, out, in);
        float[] dense = nf4.dequantize();
        try (NDManager manager = NDManager.newBaseManager();
                Nf4Linear linear = new Nf4Linear(manager, nf4)) {
            NDArray restored = linear.dequantize(DataType.FLOAT32);
            assertArrayEquals(dense, restored.toFloatArray());
            assertEquals(new Shape(out, in), restored.getShape());

            long n = (long) out * in;
            assertEquals(n / 2 + n / 64 + 4 * 1 + 4, linear.storageBytes());
            assertEquals(nf4.storageBytes(), linear.storageBytes());

            NDArray x = manager.randomNormal(new Shape(2, 3, in));
            NDArray expected = x.matMul(manager.create(dense, new Shape(out, in)).transpose());
            NDArray y = linear.forward(x, true);
            assertEquals(new Shape(2, 3, out), y.getShape());
            assertTrue(expected.allClose(y, 1e-5, 1e-5, false));
        }
    }

    @Test
    void gradientReachesTheInputButNotTheFrozenWeight() {
        int out = 16;
        int in = 64;
        float[] weight = gaussian(out * in, 0.1, 3);
        Nf4Weight nf4 = Nf4Weight.quantize(weight, out, in);
        try (NDManager manager = NDManager.newBaseManager();
                Nf4Linear linear = new Nf4Linear(manager, nf4)) {
            NDArray x = manager.randomNormal(new Shape(5, in));
            x.setRequiresGradient(true);
            try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                NDArray loss = linear.forward(x, true).sum();
                collector.backward(loss);
            }
            // d sum(x W^T) / dx = column sums of W, the same for every row of x
            NDArray w = manager.create(nf4.dequantize(), new Shape(out, in));
            NDArray expected = w.sum(new int[] {0}).broadcast(new Shape(5, in));
            assertTrue(expected.allClose(x.getGradient(), 1e-5, 1e-5, false));
            NDArray restored = linear.dequantize(DataType.FLOAT32);
            assertFalse(restored.hasGradient());
        }
    }

    static float[] gaussian(int n, double std, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return values;
    }
}
