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
 */
public record Hyperparameters(
        Integer epochs,
        Double learningRate,
        Integer batchSize,
        Integer gradientAccumulationSteps,
        Integer maxLength) implements Validatable {

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
    }
}
