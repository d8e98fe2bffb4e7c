package dev.tooltune.model.quant;

/**
 * The NF4 data type of QLoRA (Dettmers et al. 2023) exactly as bitsandbytes defines it: 16 values that
 * are quantiles of a standard normal, normalised to [-1, 1], with an exact zero.
 *
 * <p>Quantisation follows bitsandbytes' {@code quantize_4bit}: the flattened tensor is cut into blocks of
 * {@link #BLOCK_SIZE}; each block is scaled by {@code 1/absmax} (fp32), clamped to [-1, 1], and every value
 * becomes the index of the nearest code (ties go to the lower index, like {@code torch.argmin}). Two
 * indices share a byte, the first element in the high nibble.
 */
public final class Nf4 {

    public static final int BLOCK_SIZE = 64;

    /** bitsandbytes' NF4 code book, index 0..15 (index 7 is exactly 0). */
    public static final float[] CODE = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    };

    private Nf4() {}

    /** The index of the code nearest to {@code scaled} (a value already in [-1, 1]). */
    public static int nearestCode(float scaled) {
        int best = 0;
        float bestDistance = Math.abs(scaled - CODE[0]);
        for (int i = 1; i < CODE.length; i++) {
            float distance = Math.abs(scaled - CODE[i]);
            if (distance < bestDistance) {
                best = i;
                bestDistance = distance;
            }
        }
        return best;
    }

    /**
     * Quantises {@code values} (a flattened weight) block by block. Returns the packed codes
     * ({@code ceil(n/2)} bytes) and writes one fp32 absmax per block into {@code absmaxOut}
     * ({@code ceil(n/64)} entries). A trailing partial block gets its own absmax, like bitsandbytes.
     */
    public static byte[] quantize(float[] values, float[] absmaxOut) {
        int n = values.length;
        int blocks = blockCount(n);
        if (absmaxOut.length != blocks) {
            throw new IllegalArgumentException("absmaxOut has " + absmaxOut.length + " entries, need " + blocks);
        }
        byte[] packed = new byte[(n + 1) / 2];
        for (int block = 0; block < blocks; block++) {
            int start = block * BLOCK_SIZE;
            int end = Math.min(n, start + BLOCK_SIZE);
            float absmax = 0f;
            for (int i = start; i < end; i++) {
                absmax = Math.max(absmax, Math.abs(values[i]));
            }
            absmaxOut[block] = absmax;
            float inverse = 1f / absmax;
            for (int i = start; i < end; i++) {
                // an all-zero block has inverse = inf; its values are stored as the exact zero code
                int code = absmax == 0f ? 7 : nearestCode(Math.max(-1f, Math.min(1f, values[i] * inverse)));
                if ((i & 1) == 0) {
                    packed[i >> 1] = (byte) (code << 4);
                } else {
                    packed[i >> 1] = (byte) (packed[i >> 1] | code);
                }
            }
        }
        if ((n & 1) == 1) {
            // bitsandbytes pads an odd tensor with one 0.0, which is code 7, in the last low nibble
            packed[n >> 1] = (byte) (packed[n >> 1] | 7);
        }
        return packed;
    }

    /** Inverse of {@link #quantize} for {@code n} values, given the fp32 absmax of every block. */
    public static float[] dequantize(byte[] packed, float[] absmax, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int b = packed[i >> 1] & 0xFF;
            int code = (i & 1) == 0 ? b >>> 4 : b & 0x0F;
            out[i] = CODE[code] * absmax[i / BLOCK_SIZE];
        }
        return out;
    }

    public static int blockCount(long n) {
        return Math.toIntExact((n + BLOCK_SIZE - 1) / BLOCK_SIZE);
    }
}
