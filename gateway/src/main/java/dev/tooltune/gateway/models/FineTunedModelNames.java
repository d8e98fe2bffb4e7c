package dev.tooltune.gateway.models;

/**
 * Public names of fine-tuned models, OpenAI style: {@code ft:<base model>:<tenant>:<suffix>:<job id>}. The suffix is
 * the adapter name the job asked for; a job without one trains an adapter named after the job id, and its name has
 * an empty suffix ({@code ft:<base>:<tenant>::<job id>}), as OpenAI writes it.
 */
public final class FineTunedModelNames {

    public static String of(String baseModelId, String tenantId, String adapterName, String jobId) {
        String suffix = adapterName.equals(jobId) ? "" : adapterName;
        return "ft:" + baseModelId + ":" + tenantId + ":" + suffix + ":" + jobId;
    }

    private FineTunedModelNames() {
    }
}
