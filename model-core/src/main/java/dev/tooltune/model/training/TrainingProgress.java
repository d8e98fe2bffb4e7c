package dev.tooltune.model.training;

import java.time.Duration;

/**
 * One optimizer step's report.
 *
 * @param step            optimizer steps done (1-based)
 * @param totalSteps      optimizer steps the run will make
 * @param epoch           fractional epochs done
 * @param loss            mean weighted loss per trained token of this step
 * @param learningRate    the rate this step used
 * @param gradientNorm    global gradient norm before clipping
 * @param tokensPerSecond real (non-padding) tokens through the model per second, this run so far
 * @param eta             estimated time to the last step
 * @param tokens          real (non-padding) tokens through the model in this run so far
 */
public record TrainingProgress(
        long step, long totalSteps, double epoch, double loss, double learningRate, double gradientNorm,
        double tokensPerSecond, Duration eta, long tokens) {}
