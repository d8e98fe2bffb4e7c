package dev.tooltune.model.quant;

/**
 * A weight matrix in QLoRA's storage format, host side: NF4 codes (two per byte), and the per-block
 * absmax values double-quantised as bitsandbytes' {@code compress_statistics=True} does it:
 * {@code offset = mean(absmax)}, then {@code absmax - offset} quantised with the 8-bit {@link DynamicCode}
 * in blocks of 256, each with its own fp32 scale.
 *
 * @param packedCodes   NF4 codes, {@code ceil(n/2)} bytes, element {@code 2i} in the high nibble of byte i
 * @param absmaxCodes   one {@link DynamicCode} index per 64-block of the weight
 * @param absmaxScales  one fp32 absmax per 256 absmax codes (the second level)
 * @param absmaxOffset  the mean of the first-level absmax values, added back after dequantisation
 * @param rows          output features
 * @param columns       input features
 */
public record Nf4Weight(
        byte[] packedCodes, byte[] absmaxCodes, float[] absmaxScales, float absmaxOffset, long rows, long columns) {

    /** Quantises a row-major [rows, columns] fp32 matrix. */
    public static Nf4Weight quantize(float[] weight, long rows, long columns) {
        if ((long) weight.length != rows * columns) {
            throw new IllegalArgumentException(
                    "weight has " + weight.length + " values, shape [" + rows + ", " + columns + "] needs " + rows * columns);
        }
        float[] absmax = new float[Nf4.blockCount(weight.length)];
        byte[] packed = Nf4.quantize(weight, absmax);

        AbsmaxCodes second = AbsmaxCodes.of(absmax);
        return new Nf4Weight(packed, second.codes(), second.scales(), second.offset(), rows, columns);
    }

    /**
     * The second quantisation level of the first-level absmax values ({@code compress_statistics=True}): codes of
     * {@link DynamicCode}, one fp32 scale per 256 of them, and the offset (their mean).
     */
    public record AbsmaxCodes(byte[] codes, float[] scales, float offset) {
        public static AbsmaxCodes of(float[] absmax) {
            double sum = 0;
            for (float a : absmax) {
                sum += a;
            }
            float offset = (float) (sum / absmax.length);
            int secondLevelBlocks = (absmax.length + DynamicCode.BLOCK_SIZE - 1) / DynamicCode.BLOCK_SIZE;
            byte[] codes = new byte[absmax.length];
            float[] scales = new float[secondLevelBlocks];
            for (int block = 0; block < secondLevelBlocks; block++) {
                int start = block * DynamicCode.BLOCK_SIZE;
                int end = Math.min(absmax.length, start + DynamicCode.BLOCK_SIZE);
                float blockMax = 0f;
                for (int i = start; i < end; i++) {
                    blockMax = Math.max(blockMax, Math.abs(absmax[i] - offset));
                }
                scales[block] = blockMax;
                float inverse = 1f / blockMax;
                for (int i = start; i < end; i++) {
                    float scaled = blockMax == 0f ? 0f : Math.max(-1f, Math.min(1f, (absmax[i] - offset) * inverse));
                    codes[i] = (byte) DynamicCode.nearest(scaled);
                }
            }
            return new AbsmaxCodes(codes, scales, offset);
        }
    }

    public long elementCount() {
        return rows * columns;
    }

    /** The first-level absmax values as the forward pass sees them (after undoing the double quantisation). */
    public float[] absmax() {
        float[] out = new float[absmaxCodes.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = DynamicCode.CODE[absmaxCodes[i] & 0xFF] * absmaxScales[i / DynamicCode.BLOCK_SIZE] + absmaxOffset;
        }
        return out;
    }

    /** The full fp32 matrix, row-major. */
    public float[] dequantize() {
        return Nf4.dequantize(packedCodes, absmax(), Math.toIntExact(elementCount()));
    }

    /** Bytes of the quantised storage: codes, absmax codes, second-level scales, offset. */
    public long storageBytes() {
        return packedCodes.length + absmaxCodes.length + 4L * absmaxScales.length + 4;
    }
}
