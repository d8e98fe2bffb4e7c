package dev.tooltune.model.lora;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a LoRA adapter looks like, in PEFT's terms.
 *
 * @param rank          r, the inner dimension of A [r, in] and B [out, r]
 * @param alpha         lora_alpha; the update is scaled by alpha / r, or alpha / sqrt(r) with rsLoRA
 * @param dropout       lora_dropout, applied to the adapter's input only while training
 * @param targetModules a subset of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj
 * @param useRslora     rank-stabilised scaling (Kalajdzievski 2023)
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<String> targetModules, boolean useRslora) {

    /** Gemma 3's seven projections per layer, in the order a layer applies them. */
    public static final List<String> GEMMA_MODULES =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be a positive number, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("LoRA target modules must name at least one of " + GEMMA_MODULES);
        }
        Set<String> normalised = new LinkedHashSet<>();
        for (String module : targetModules) {
            normalised.add(moduleName(module));
        }
        // keep the canonical order so saved configs are stable
        Set<String> ordered = new LinkedHashSet<>();
        for (String module : GEMMA_MODULES) {
            if (normalised.contains(module)) {
                ordered.add(module);
            }
        }
        targetModules = java.util.Collections.unmodifiableSet(ordered);
    }

    /** r=16, alpha=32, dropout 0.05 on the attention projections: the common QLoRA starting point. */
    public static LoraConfig of(int rank, double alpha, String... modules) {
        return new LoraConfig(rank, alpha, 0.0, Set.of(modules), false);
    }

    /** The factor on B A x: alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    public boolean targets(String moduleName) {
        return targetModules.contains(moduleName);
    }

    public LoraConfig withDropout(double newDropout) {
        return new LoraConfig(rank, alpha, newDropout, targetModules, useRslora);
    }

    /** Accepts PEFT's names (q_proj) and short ones (q, gate). */
    static String moduleName(String name) {
        String lower = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        String full = lower.endsWith("_proj") ? lower : lower + "_proj";
        if (!GEMMA_MODULES.contains(full)) {
            throw new IllegalArgumentException(
                    "unknown LoRA target module '" + name + "'; expected one of " + GEMMA_MODULES + " (or q, k, v, o, gate, up, down)");
        }
        return full;
    }
}
