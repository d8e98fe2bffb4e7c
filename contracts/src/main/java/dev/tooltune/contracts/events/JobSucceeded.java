package dev.tooltune.contracts.events;

import java.time.Instant;

import dev.tooltune.contracts.validation.Violations;

/**
 * Training finished and the adapter is stored; its {@code adapters} message was published before this event,
 * so a consumer that reads this can already find the adapter.
 *
 * @param adapterId      the adapter's id (key on {@code adapters})
 * @param adapterName    the adapter's name (the job's adapterName)
 * @param adapterVersion the adapter's version under that name, 1 or more
 * @param trainedTokens  tokens trained on, over all epochs (billing and OpenAI's {@code trained_tokens}); optional
 * @param metrics        optional: evaluation results by name, the same as the adapter's, e.g. {@code eval_loss_before},
 *                       {@code eval_loss_after}, {@code tool_call_exact_match_before}, {@code tool_call_exact_match_after}
 */
public record JobSucceeded(
        String eventId,
        String jobId,
        String tenantId,
        Instant occurredAt,
        String adapterId,
        String adapterName,
        Integer adapterVersion,
        Long trainedTokens,
        java.util.Map<String, Double> metrics) implements TrainingEvent {

    public JobSucceeded {
        metrics = metrics == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    }

    /** Without metrics. */
    public JobSucceeded(String eventId, String jobId, String tenantId, Instant occurredAt, String adapterId,
            String adapterName, Integer adapterVersion, Long trainedTokens) {
        this(eventId, jobId, tenantId, occurredAt, adapterId, adapterName, adapterVersion, trainedTokens, null);
    }

    public static final String TYPE = "succeeded";

    @Override
    public boolean terminal() {
        return true;
    }

    @Override
    public void validate(Violations violations) {
        TrainingEvent.validateCommon(this, violations);
        violations.id("adapterId", adapterId);
        violations.required("adapterName", adapterName);
        violations.range("adapterVersion", adapterVersion, 1, Integer.MAX_VALUE);
        violations.check(trainedTokens == null || trainedTokens >= 0, "trainedTokens",
                "must be 0 or more (was " + trainedTokens + ")");
        if (metrics != null) {
            metrics.forEach((metric, value) -> violations.check(value != null && Double.isFinite(value),
                    "metrics." + metric, "must be a finite number (was " + value + ")"));
        }
    }
}
