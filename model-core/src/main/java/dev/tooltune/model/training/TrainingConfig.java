package dev.tooltune.model.training;

import dev.tooltune.model.lora.LoraConfig;
import java.util.Set;

/**
 * Everything a training run needs besides the model and the data; mirrors a training job's
 * hyperparameters so trainer-service can map a job message onto it one to one.
 *
 * @param method               lora, qlora or full
 * @param lora                 adapter shape (ignored for full)
 * @param epochs               passes over the training set
 * @param learningRate         peak rate after warmup
 * @param batchSize            sequences (rows) per micro-batch
 * @param gradientAccumulation micro-batches per optimizer step
 * @param maxLength            tokens per example (longer ones are truncated and reported) and per packed row
 * @param packing              pack several examples per row (no attention across them) instead of padding
 * @param warmupSteps          optimizer steps of linear warmup
 * @param decay                cosine, linear or constant after warmup
 * @param weightDecay          AdamW's decoupled weight decay
 * @param maxGradNorm          global gradient-norm clip (0 = off)
 * @param seed                 data order, LoRA init and dropout
 * @param evalEvery            optimizer steps between eval-loss passes (0 = only at the end)
 * @param checkpointEvery      optimizer steps between checkpoints (0 = none, except on cancel)
 * @param lossChunk            trained positions per logits chunk in the loss
 * @param divergencePatience   consecutive optimizer steps with a non-finite loss or gradient (each one skipped,
 *                             no update) after which the run stops as {@link TrainingResult.Status#FAILED}
 *                             (diverged); 0 = skip such steps forever
 */
public record TrainingConfig(
        TrainingMethod method,
        LoraConfig lora,
        int epochs,
        double learningRate,
        int batchSize,
        int gradientAccumulation,
        int maxLength,
        boolean packing,
        int warmupSteps,
        LearningRateSchedule.Decay decay,
        double weightDecay,
        double maxGradNorm,
        long seed,
        int evalEvery,
        int checkpointEvery,
        int lossChunk,
        int divergencePatience) {

    public static final double ADAM_BETA1 = 0.9;
    public static final double ADAM_BETA2 = 0.999;
    public static final double ADAM_EPSILON = 1e-8;

    public TrainingConfig {
        require(method != null, "method", "must be lora, qlora or full");
        require(method == TrainingMethod.FULL || lora != null, "lora", "is required for method " + method);
        require(epochs > 0, "epochs", "must be positive, got " + epochs);
        require(learningRate > 0 && Double.isFinite(learningRate), "learning_rate", "must be a positive number, got " + learningRate);
        require(batchSize > 0, "batch_size", "must be positive, got " + batchSize);
        require(gradientAccumulation > 0, "gradient_accumulation", "must be positive, got " + gradientAccumulation);
        require(maxLength >= 2, "max_length", "must be at least 2, got " + maxLength);
        require(warmupSteps >= 0, "warmup_steps", "must not be negative, got " + warmupSteps);
        require(decay != null, "lr_schedule", "must be cosine, linear or constant");
        require(weightDecay >= 0, "weight_decay", "must not be negative, got " + weightDecay);
        require(maxGradNorm >= 0, "max_grad_norm", "must not be negative, got " + maxGradNorm);
        require(evalEvery >= 0, "eval_every", "must not be negative, got " + evalEvery);
        require(checkpointEvery >= 0, "checkpoint_every", "must not be negative, got " + checkpointEvery);
        require(lossChunk > 0, "loss_chunk", "must be positive, got " + lossChunk);
        require(divergencePatience >= 0, "divergence_patience", "must not be negative, got " + divergencePatience);
    }

    private static void require(boolean condition, String field, String message) {
        if (!condition) {
            throw new IllegalArgumentException("training config field '" + field + "' " + message);
        }
    }

    /** Sensible defaults for LoRA on the attention and MLP projections; change what you need with the withers. */
    public static TrainingConfig lora(LoraConfig lora) {
        return new TrainingConfig(TrainingMethod.LORA, lora, 3, 2e-4, 4, 1, 1024, false, 0,
                LearningRateSchedule.Decay.COSINE, 0.0, 1.0, 42, 0, 0, 1024, 3);
    }

    public static TrainingConfig defaults(TrainingMethod method) {
        LoraConfig lora = new LoraConfig(16, 32, 0.05, Set.copyOf(LoraConfig.GEMMA_MODULES), false);
        TrainingConfig base = lora(lora).withMethod(method);
        return method == TrainingMethod.FULL ? base.withLearningRate(2e-5) : base;
    }

    public TrainingConfig withMethod(TrainingMethod value) {
        return new TrainingConfig(value, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withLora(LoraConfig value) {
        return new TrainingConfig(method, value, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withEpochs(int value) {
        return new TrainingConfig(method, lora, value, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withLearningRate(double value) {
        return new TrainingConfig(method, lora, epochs, value, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withBatching(int batch, int accumulation, int length, boolean pack) {
        return new TrainingConfig(method, lora, epochs, learningRate, batch, accumulation, length, pack,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withSchedule(int warmup, LearningRateSchedule.Decay value) {
        return new TrainingConfig(method, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmup, value, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withRegularisation(double decayOfWeights, double gradNorm) {
        return new TrainingConfig(method, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, decayOfWeights, gradNorm, seed, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withSeed(long value) {
        return new TrainingConfig(method, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, value, evalEvery, checkpointEvery, lossChunk, divergencePatience);
    }

    public TrainingConfig withEvalAndCheckpoints(int eval, int checkpoint) {
        return new TrainingConfig(method, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, eval, checkpoint, lossChunk, divergencePatience);
    }

    public TrainingConfig withLossChunk(int value) {
        return new TrainingConfig(method, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, value, divergencePatience);
    }

    public TrainingConfig withDivergencePatience(int value) {
        return new TrainingConfig(method, lora, epochs, learningRate, batchSize, gradientAccumulation, maxLength, packing,
                warmupSteps, decay, weightDecay, maxGradNorm, seed, evalEvery, checkpointEvery, lossChunk, value);
    }
}
