package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/**
 * Training progress, published when training starts and then at a bounded rate (not every step).
 *
 * @param step            optimizer steps done, 0 to totalSteps
 * @param totalSteps      optimizer steps the job will take in all, 1 or more
 * @param epoch           fractional epochs done, e.g. 1.5 (0 or more)
 * @param loss            mean training loss since the previous running event; absent before the first step
 * @param evalLoss        loss on the validation data; present only on the event after an evaluation
 * @param learningRate    the learning rate at this step (after warm-up and decay), 0 or more
 * @param tokensPerSecond training throughput since the previous running event; absent before the first step
 * @param etaSeconds      estimated seconds until training ends; absent while unknown
 */
public record JobRunning(
        String eventId,
        String jobId,
        String tenantId,
        Instant occurredAt,
        Long step,
        Long totalSteps,
        Double epoch,
        Double loss,
        Double evalLoss,
        Double learningRate,
        Double tokensPerSecond,
        Long etaSeconds) implements TrainingEvent {

    public static final String TYPE = "running";

    @Override
    public void validate(Violations violations) {
        TrainingEvent.validateCommon(this, violations);
        violations.range("totalSteps", totalSteps, 1, Long.MAX_VALUE);
        violations.range("step", step, 0, totalSteps == null ? Long.MAX_VALUE : totalSteps);
        if (violations.required("epoch", epoch)) {
            violations.nonNegative("epoch", epoch);
        }
        violations.nonNegative("loss", loss);
        violations.nonNegative("evalLoss", evalLoss);
        if (violations.required("learningRate", learningRate)) {
            violations.nonNegative("learningRate", learningRate);
        }
        violations.nonNegative("tokensPerSecond", tokensPerSecond);
        violations.check(etaSeconds == null || etaSeconds >= 0, "etaSeconds",
                "must be 0 or more (was " + etaSeconds + ")");
    }
}
