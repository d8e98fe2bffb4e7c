package dev.tooltune.model.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit "dynamic" code ({@code create_dynamic_map(signed=True)}, 7 exponent bits),
 * used for the second quantisation level of QLoRA: the per-block absmax values, after subtracting their
 * mean, are quantised with this code in blocks of {@link #BLOCK_SIZE}.
 *
 * <p>The code is built like bitsandbytes builds it, in fp32: for decade {@code i = 0..6}, the midpoints of
 * {@code linspace(0.1, 1, 2^i + 1)} times {@code 10^(i-6)}, both signs, plus 0 and 1; 256 values sorted.
 */
public final class DynamicCode {

    public static final int BLOCK_SIZE = 256;

    /** The 256 code values, ascending. */
    public static final float[] CODE = build();

    private DynamicCode() {}

    private static float[] build() {
        final int exponentBits = 7;
        float[] data = new float[256];
        int count = 0;
        for (int i = 0; i < exponentBits; i++) {
            float[] boundaries = linspace(0.1f, 1f, (1 << i) + 1);
            float scale = (float) Math.pow(10, -(exponentBits - 1) + i);
            for (int j = 0; j + 1 < boundaries.length; j++) {
                float mean = (boundaries[j] + boundaries[j + 1]) / 2f;
                data[count++] = scale * mean;
                data[count++] = -scale * mean;
            }
        }
        data[count++] = 0f;
        data[count++] = 1f;
        if (count != 256) {
            throw new IllegalStateException("dynamic code has " + count + " values");
        }
        Arrays.sort(data);
        return data;
    }

    /** torch.linspace in fp32: the first half counts up from start, the second half down from end. */
    private static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < halfway ? start + step * i : end - step * (steps - 1 - i);
        }
        return out;
    }

    /** Index of the nearest code value (ties to the lower index), for a value in [-1, 1]. */
    public static int nearest(float scaled) {
        int index = Arrays.binarySearch(CODE, scaled);
        if (index >= 0) {
            return index;
        }
        int above = -index - 1;
        if (above == 0) {
            return 0;
        }
        if (above == CODE.length) {
            return CODE.length - 1;
        }
        int below = above - 1;
        return scaled - CODE[below] <= CODE[above] - scaled ? below : above;
    }
}
