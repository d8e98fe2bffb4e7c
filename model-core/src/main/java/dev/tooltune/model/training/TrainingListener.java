package dev.tooltune.model.training;

import java.nio.file.Path;

/** Callbacks from a training run, on the training thread; keep them quick. */
public interface TrainingListener {

    default void onTruncation(TruncationReport report) {}

    default void onStep(TrainingProgress progress) {}

    /** Mean weighted loss per trained token over the eval set, after {@code step} optimizer steps. */
    default void onEvalLoss(long step, double evalLoss) {}

    default void onCheckpoint(long step, Path directory) {}

    TrainingListener NONE = new TrainingListener() {};
}
