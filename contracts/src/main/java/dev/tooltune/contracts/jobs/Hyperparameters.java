package dev.tooltune.contracts.jobs;

import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violations;

/**
 * The optimisation settings of a job, all explicit: whoever submits the job fills in defaults, so that the
 * message alone says how the adapter was trained.
 *
 * @param epochs                    passes over the training set, 1 to 1000
 * @param learningRate              peak learning rate, greater than 0 and at most 1
 * @param batchSize                 examples per micro-batch, 1 to 4096
 * @param gradientAccumulationSteps micro-batches per optimizer step, 1 to 4096
 *                                  (effective batch = batchSize * gradientAccumulationSteps)
 * @param maxLength                 longest example in tokens (Gemma 3 chat format, tools included), 16 to 131072;
 *                                  what happens to longer examples is the trainer's documented policy
 * @param warmupSteps               optional, default 0: optimizer steps of linear warm-up to the peak rate, 0 to 1,000,000
 * @param lrSchedule                optional, default cosine: decay after warm-up
 * @param weightDecay               optional, default 0: AdamW's decoupled weight decay, 0 to 1
 * @param maxGradNorm               optional, default 1: clip of the global gradient norm, 0 (off) to 1,000,000
 * @param packing                   optional, default false: pack several examples per row (no attention across
 *                                  them) instead of padding each to the longest of its batch
 * @param evalEvery                 optional, default 0: optimizer steps between eval-loss passes (0: at the end only)
 */
public record Hyperparameters(
        Integer epochs,
        Double learningRate,
        Integer batchSize,
        Integer gradientAccumulationSteps,
        Integer maxLength,
        Integer warmupSteps,
        LearningRateDecay lrSchedule,
        Double weightDecay,
        Double maxGradNorm,
        Boolean packing,
        Integer evalEvery) implements Validatable {

    /** The five required settings; the optional ones absent (the trainer's defaults). */
    public Hyperparameters(Integer epochs, Double learningRate, Integer batchSize, Integer gradientAccumulationSteps,
            Integer maxLength) {
        this(epochs, learningRate, batchSize, gradientAccumulationSteps, maxLength, null, null, null, null, null, null);
    }

    @Override
    public void validate(Violations violations) {
        violations.range("epochs", epochs, 1, 1000);
        if (violations.required("learningRate", learningRate)) {
            violations.check(Double.isFinite(learningRate) && learningRate > 0 && learningRate <= 1,
                    "learningRate", "must be greater than 0 and at most 1 (was " + learningRate + ")");
        }
        violations.range("batchSize", batchSize, 1, 4096);
        violations.range("gradientAccumulationSteps", gradientAccumulationSteps, 1, 4096);
        violations.range("maxLength", maxLength, 16, 131_072);
        if (warmupSteps != null) {
            violations.range("warmupSteps", warmupSteps, 0, 1_000_000);
        }
        if (weightDecay != null) {
            violations.check(Double.isFinite(weightDecay) && weightDecay >= 0 && weightDecay <= 1, "weightDecay",
                    "must be at least 0 and at most 1 (was " + weightDecay + ")");
        }
        if (maxGradNorm != null) {
            violations.check(Double.isFinite(maxGradNorm) && maxGradNorm >= 0 && maxGradNorm <= 1_000_000, "maxGradNorm",
                    "must be at least 0 (0 = no clipping) and at most 1000000 (was " + maxGradNorm + ")");
        }
        if (evalEvery != null) {
            violations.range("evalEvery", evalEvery, 0, 1_000_000);
        }
    }
}
