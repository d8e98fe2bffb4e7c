package dev.tooltune.contracts.jobs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violations;

/**
 * The low-rank adapters added to the frozen base model (methods {@code lora} and {@code qlora}).
 *
 * @param rank          r, the adapters' inner dimension, 1 to 1024
 * @param alpha         scaling numerator, greater than 0: the update is scaled by alpha / rank, or by
 *                      alpha / sqrt(rank) with rsLora
 * @param dropout       dropout on the adapters' input during training, 0 (inclusive) to 1 (exclusive)
 * @param targetModules the projections that get adapters, by their names in the model, e.g. {@code q_proj},
 *                      {@code k_proj}, {@code v_proj}, {@code o_proj}, {@code gate_proj}, {@code up_proj},
 *                      {@code down_proj}; at least one, no repeats
 * @param rsLora        rank-stabilised scaling (alpha / sqrt(rank)) instead of alpha / rank
 */
public record LoraSettings(
        Integer rank,
        Double alpha,
        Double dropout,
        List<String> targetModules,
        Boolean rsLora) implements Validatable {

    public LoraSettings {
        targetModules = targetModules == null ? null : Collections.unmodifiableList(new ArrayList<>(targetModules));
    }

    @Override
    public void validate(Violations violations) {
        violations.range("rank", rank, 1, 1024);
        if (violations.required("alpha", alpha)) {
            violations.check(Double.isFinite(alpha) && alpha > 0, "alpha",
                    "must be a number greater than 0 (was " + alpha + ")");
        }
        if (violations.required("dropout", dropout)) {
            violations.check(dropout >= 0 && dropout < 1, "dropout",
                    "must be at least 0 and less than 1 (was " + dropout + ")");
        }
        violations.distinctNames("targetModules", targetModules);
        violations.required("rsLora", rsLora);
    }
}
