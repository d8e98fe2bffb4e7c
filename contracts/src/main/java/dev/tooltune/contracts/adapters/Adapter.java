package dev.tooltune.contracts.adapters;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violations;

/**
 * A trained adapter that can be served: the message on {@code adapters}, a compacted topic keyed by
 * {@link #adapterId()}, so that the topic always holds the latest record of every adapter. A record with this key
 * and a null value (a tombstone) means the adapter was deleted.
 *
 * @param adapterId   unique id of this adapter version (the Kafka key)
 * @param name        the adapter's name within its tenant (the job's adapterName)
 * @param version     1 for the first adapter of a name, then 2, 3, ...; the highest version is what the name serves
 * @param tenantId    the tenant that owns it; no other tenant may use it
 * @param jobId       the job that trained it
 * @param baseModel   the model it was trained on, with the exact revision (required here): it only works on top
 *                    of those weights
 * @param method      lora or qlora (the artifact holds adapter weights), or full (the artifact is a whole model)
 * @param artifactUri where the artifact directory is: {@code file:///...} (the default directory store) or
 *                    {@code s3://bucket/prefix/} (an S3-compatible store); it holds the PEFT files
 *                    ({@code adapter_config.json}, {@code adapter_model.safetensors}), metrics and the training
 *                    configuration
 * @param sha256      SHA-256 (64 lowercase hex digits) of the weights file, {@code adapter_model.safetensors}
 *                    ({@code model.safetensors} for full); loaders verify it before use
 * @param sizeBytes   size of the weights file in bytes, for cache budgeting; optional
 * @param metrics     evaluation results by name, e.g. {@code eval_loss}, {@code tool_call_valid_rate_before},
 *                    {@code tool_call_valid_rate_after}; may be empty
 * @param createdAt   when the adapter was stored
 */
public record Adapter(
        String adapterId,
        String name,
        Integer version,
        String tenantId,
        String jobId,
        BaseModel baseModel,
        TrainingMethod method,
        String artifactUri,
        String sha256,
        Long sizeBytes,
        Map<String, Double> metrics,
        Instant createdAt) implements Validatable {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public Adapter {
        metrics = metrics == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    @Override
    public void validate(Violations violations) {
        violations.id("adapterId", adapterId);
        if (violations.required("name", name)) {
            violations.matches("name", name, TrainingJob.ADAPTER_NAME,
                    "1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        violations.range("version", version, 1, Integer.MAX_VALUE);
        violations.id("tenantId", tenantId);
        violations.id("jobId", jobId);
        if (violations.required("baseModel", baseModel)) {
            baseModel.validate(violations.at("baseModel"));
            violations.at("baseModel").required("revision", baseModel.revision());
        }
        violations.required("method", method);
        if (violations.required("artifactUri", artifactUri)) {
            validateArtifactUri(violations);
        }
        if (violations.required("sha256", sha256)) {
            violations.matches("sha256", sha256, SHA256, "64 lowercase hexadecimal digits");
        }
        violations.check(sizeBytes == null || sizeBytes >= 0, "sizeBytes", "must be 0 or more (was " + sizeBytes + ")");
        if (metrics != null) {
            metrics.forEach((metric, value) -> {
                violations.check(metric != null && !metric.isBlank(), "metrics", "has a metric without a name");
                violations.check(value != null && Double.isFinite(value), "metrics." + metric,
                        "must be a finite number (was " + value + ")");
            });
        }
        violations.required("createdAt", createdAt);
    }

    private void validateArtifactUri(Violations violations) {
        try {
            URI uri = new URI(artifactUri);
            violations.check(uri.isAbsolute() && !uri.isOpaque(), "artifactUri",
                    "'" + artifactUri + "' must be an absolute URI such as file:///var/lib/tooltune/artifacts/a1/ "
                            + "or s3://bucket/a1/");
        } catch (URISyntaxException e) {
            violations.add("artifactUri", "'" + artifactUri + "' is not a URI: " + e.getReason());
        }
    }
}
