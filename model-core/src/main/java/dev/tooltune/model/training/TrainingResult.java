package dev.tooltune.model.training;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a run ended.
 *
 * @param status        completed, cancelled (between two steps; a checkpoint is written when a directory is set) or
 *                      failed (diverged: {@code divergencePatience} steps in a row had a non-finite loss or gradient)
 * @param steps         optimizer steps done in total, including those before a resume
 * @param lastLoss      the loss of the last step (NaN if none ran)
 * @param lastEvalLoss  the last eval loss (NaN without eval data)
 * @param checkpoint    the last checkpoint written, or null
 * @param skippedSteps  optimizer steps whose loss or gradient was not finite, so no update was made
 */
public record TrainingResult(
        Status status, long steps, double lastLoss, double lastEvalLoss, TruncationReport truncation, Path checkpoint,
        Duration duration, int skippedSteps) {

    public enum Status { COMPLETED, CANCELLED, FAILED }
}
