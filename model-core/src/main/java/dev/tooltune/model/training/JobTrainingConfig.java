package dev.tooltune.model.training;

import dev.tooltune.contracts.jobs.Hyperparameters;
import dev.tooltune.contracts.jobs.LoraSettings;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.model.lora.LoraConfig;
import java.util.LinkedHashSet;

/**
 * The one mapping from a training job message (contracts' {@link TrainingJob}) to a {@link TrainingConfig}. Every
 * setting the job leaves out is {@link TrainingConfig#defaults}' value for the method; worker-side settings
 * (checkpoint interval) come from the worker's configuration.
 */
public final class JobTrainingConfig {

    private JobTrainingConfig() {}

    /**
     * @param checkpointEvery optimizer steps between checkpoints (the worker's setting, 0 = none)
     * @throws IllegalArgumentException naming the field when a value is out of the trainer's range
     */
    public static TrainingConfig of(TrainingJob job, int checkpointEvery) {
        TrainingMethod method = switch (job.method()) {
            case LORA -> TrainingMethod.LORA;
            case QLORA -> TrainingMethod.QLORA;
            case FULL -> TrainingMethod.FULL;
        };
        TrainingConfig defaults = TrainingConfig.defaults(method);
        Hyperparameters h = job.hyperparameters();
        TrainingConfig config = defaults
                .withEpochs(h.epochs())
                .withLearningRate(h.learningRate())
                .withBatching(h.batchSize(), h.gradientAccumulationSteps(), h.maxLength(),
                        h.packing() != null ? h.packing() : defaults.packing())
                .withSchedule(h.warmupSteps() != null ? h.warmupSteps() : defaults.warmupSteps(),
                        h.lrSchedule() != null ? LearningRateSchedule.Decay.valueOf(h.lrSchedule().name()) : defaults.decay())
                .withRegularisation(h.weightDecay() != null ? h.weightDecay() : defaults.weightDecay(),
                        h.maxGradNorm() != null ? h.maxGradNorm() : defaults.maxGradNorm())
                .withSeed(job.seed())
                .withEvalAndCheckpoints(h.evalEvery() != null ? h.evalEvery() : defaults.evalEvery(), checkpointEvery);
        if (method != TrainingMethod.FULL) {
            LoraSettings l = job.lora();
            for (String module : l.targetModules()) {
                if (!LoraConfig.GEMMA_MODULES.contains(module)) {
                    throw new IllegalArgumentException("lora.targetModules: '" + module + "' is not a Gemma 3 projection (one of "
                            + String.join(", ", LoraConfig.GEMMA_MODULES) + ")");
                }
            }
            config = config.withLora(new LoraConfig(l.rank(), l.alpha(), l.dropout(),
                    new LinkedHashSet<>(l.targetModules()), l.rsLora()));
        } else {
            config = config.withLora(null);
        }
        return config;
    }
}
