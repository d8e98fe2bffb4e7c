package dev.tooltune.model.config;

/**
 * Rotary embedding settings of one attention type. Gemma 3 uses {@code default} RoPE on sliding layers and
 * {@code default} or {@code linear} (positions divided by {@code factor}) on full-attention layers.
 */
public record RopeParameters(String ropeType, double theta, double factor) {

    public RopeParameters {
        if (!ropeType.equals("default") && !ropeType.equals("linear")) {
            throw new IllegalArgumentException("rope_type '" + ropeType
                    + "' is not supported (Gemma 3 uses 'default' or 'linear')");
        }
        if (!(theta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + theta);
        }
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope factor must be > 0, got " + factor);
        }
    }

    public static RopeParameters plain(double theta) {
        return new RopeParameters("default", theta, 1.0);
    }

    /** inv_freq[i] = 1 / theta^(2i / headDim), divided by the linear factor, as transformers computes it in fp32. */
    public float[] inverseFrequencies(int headDim) {
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            float base = (float) Math.pow(theta, exponent);
            inv[i] = (float) (1.0 / base);
            if (ropeType.equals("linear")) {
                inv[i] = (float) (inv[i] / factor);
            }
        }
        return inv;
    }
}
