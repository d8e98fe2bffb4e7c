package dev.tooltune.contracts.jobs;

import java.time.Instant;
import java.util.regex.Pattern;

import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.DatasetRef;
import dev.tooltune.contracts.validation.Violations;

/**
 * A fine-tuning job to run ({@code "type": "submit"} on {@code training-jobs}): everything a trainer needs,
 * nothing it has to look up elsewhere except the dataset's examples.
 *
 * @param jobId          unique id of the job, also the Kafka key; a redelivered job id must not train twice
 * @param tenantId       the tenant that owns the job, its datasets and the resulting adapter
 * @param submittedAt    when the job was accepted
 * @param baseModel      the model to fine-tune
 * @param trainingData   the frozen dataset version to train on
 * @param validationData optional frozen dataset version for eval loss and tool-call metrics
 * @param method         lora, qlora or full
 * @param hyperparameters optimisation settings
 * @param lora           adapter settings: required for lora and qlora, absent for full
 * @param seed           seed for shuffling, dropout and adapter initialisation: same job, same seed, same result
 * @param adapterName    name of the resulting adapter within the tenant (a new version of it if the name exists)
 * @param evalRatio      optional, default 0: without validationData, the share of trainingData held out for
 *                       evaluation (dataset-service's deterministic split), 0 to 0.5; must be absent or 0 with
 *                       validationData
 * @param splitSeed      optional, default {@code seed}: the seed of that split
 */
public record TrainingJob(
        String jobId,
        String tenantId,
        Instant submittedAt,
        BaseModel baseModel,
        DatasetRef trainingData,
        DatasetRef validationData,
        TrainingMethod method,
        Hyperparameters hyperparameters,
        LoraSettings lora,
        Long seed,
        String adapterName,
        Double evalRatio,
        Long splitSeed) implements JobCommand {

    /** A job without a held-out split (evalRatio and splitSeed absent). */
    public TrainingJob(String jobId, String tenantId, Instant submittedAt, BaseModel baseModel, DatasetRef trainingData,
            DatasetRef validationData, TrainingMethod method, Hyperparameters hyperparameters, LoraSettings lora,
            Long seed, String adapterName) {
        this(jobId, tenantId, submittedAt, baseModel, trainingData, validationData, method, hyperparameters, lora, seed,
                adapterName, null, null);
    }

    /** The share of trainingData held out for evaluation: 0 when absent. */
    public double evalRatioOrZero() {
        return evalRatio == null ? 0 : evalRatio;
    }

    /** The seed of the train/eval split: splitSeed, or the job's seed when absent. */
    public long splitSeedOrDefault() {
        return splitSeed != null ? splitSeed : seed;
    }

    public static final String TYPE = "submit";

    /** Adapter names: what users type as (part of) a model name. */
    public static final Pattern ADAPTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    @Override
    public void validate(Violations violations) {
        violations.id("jobId", jobId);
        violations.id("tenantId", tenantId);
        violations.required("submittedAt", submittedAt);
        violations.nested("baseModel", baseModel);
        violations.nested("trainingData", trainingData);
        violations.optionalNested("validationData", validationData);
        violations.required("method", method);
        violations.nested("hyperparameters", hyperparameters);
        if (method != null && method.usesAdapters()) {
            violations.nested("lora", lora);
        } else if (method == TrainingMethod.FULL && lora != null) {
            violations.add("lora", "must be absent for method full (it trains all weights, not adapters)");
        }
        violations.required("seed", seed);
        if (violations.required("adapterName", adapterName)) {
            violations.matches("adapterName", adapterName, ADAPTER_NAME,
                    "1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (evalRatio != null) {
            violations.check(Double.isFinite(evalRatio) && evalRatio >= 0 && evalRatio <= 0.5, "evalRatio",
                    "must be at least 0 and at most 0.5 (was " + evalRatio + ")");
            violations.check(validationData == null || evalRatio == 0, "evalRatio",
                    "must be absent or 0 when validationData is given (evaluation uses validationData)");
        }
    }
}
