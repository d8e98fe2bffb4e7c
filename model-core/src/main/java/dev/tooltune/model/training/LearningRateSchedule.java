package dev.tooltune.model.training;

/**
 * Linear warmup from 0 to the peak rate, then decay to 0 by the last step: cosine (half a period) or
 * linear, as transformers' {@code get_cosine_schedule_with_warmup} / {@code get_linear_schedule_with_warmup}.
 */
public record LearningRateSchedule(double peak, long warmupSteps, long totalSteps, Decay decay) {

    public enum Decay { COSINE, LINEAR, CONSTANT }

    public LearningRateSchedule {
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("a schedule needs at least one step, got " + totalSteps);
        }
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("warmup steps " + warmupSteps + " not in [0, " + totalSteps + "]");
        }
    }

    /** The rate for the optimizer step with zero-based index {@code step}. */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / (warmupSteps + 1);
        }
        if (decay == Decay.CONSTANT || totalSteps == warmupSteps) {
            return peak;
        }
        double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        return switch (decay) {
            case COSINE -> peak * 0.5 * (1 + Math.cos(Math.PI * progress));
            case LINEAR -> peak * (1 - progress);
            case CONSTANT -> peak;
        };
    }
}
