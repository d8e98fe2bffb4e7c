package dev.tooltune.model.kernels;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The training kernels of training.cc, each a lever that can be turned off on its own (benchmarks and checks
 * compare each against the DJL path it replaces). Default: all on where the native library has them;
 * {@code TOOLTUNE_TRAINING_KERNELS=none} or a comma list ({@code cross_entropy,varlen_attention}) picks.
 */
public enum TrainingKernel {
    /** The tied head and the loss chunk by chunk in one autograd node (no [N, V] logits kept). */
    CROSS_ENTROPY,
    /** Packed sequences on flash attention with cumulative sequence lengths (GPU, bf16/fp16 autocast only). */
    VARLEN_ATTENTION,
    /** RMSNorm (and the residual add after Gemma's post-norms) keeping x in its own type, not an fp32 copy. */
    RMS_NORM,
    /** gelu_tanh(gate) * up keeping gate and up only. */
    GELU_GATE,
    /** RoPE in fp32 with the result in x's type, one call. */
    ROTARY;

    public static final String ENV = "TOOLTUNE_TRAINING_KERNELS";

    /** Parses {@code all}, {@code none} or a comma list of names (case-insensitive). */
    public static Set<TrainingKernel> parse(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("all")) {
            return EnumSet.allOf(TrainingKernel.class);
        }
        EnumSet<TrainingKernel> out = EnumSet.noneOf(TrainingKernel.class);
        if (spec.trim().equalsIgnoreCase("none")) {
            return out;
        }
        for (String name : spec.split(",")) {
            try {
                out.add(valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ENV + ": unknown training kernel '" + name.trim() + "', expected all, none or "
                        + java.util.Arrays.toString(values()).toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }
}
