package dev.tooltune.gateway.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.jobs.TrainingJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The job, its events and checkpoints as OpenAI writes them. */
public final class JobViews {

    /** OpenAI's fine_tuning.job object, with ToolTune's recipe in {@code tooltune}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Job(String id, String object, long created_at, Error error, String fine_tuned_model,
                      Long finished_at, Map<String, Object> hyperparameters, String model, String organization_id,
                      List<String> result_files, long seed, String status, Long trained_tokens,
                      String training_file, String validation_file, Long estimated_finish, List<Object> integrations,
                      JsonNode metadata, Map<String, Object> method, String suffix, Map<String, Object> tooltune) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Error(String code, String message, String param) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Event(String id, String object, long created_at, String level, String message, String type,
                        JsonNode data) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Checkpoint(String id, String object, long created_at, String fine_tuned_model_checkpoint,
                             String fine_tuning_job_id, Map<String, Object> metrics, long step_number) {
    }

    static TrainingJob recipe(FineTuningJob job) {
        JobCommand command = MessageCodec.TRAINING_JOBS.fromJson(job.recipe);
        return (TrainingJob) command;
    }

    static Job job(FineTuningJob job, ObjectMapper json, dev.tooltune.gateway.config.GatewayConfig.JobDefaults defaults) {
        TrainingJob recipe = recipe(job);
        Map<String, Object> hyper = new LinkedHashMap<>();
        hyper.put("batch_size", recipe.hyperparameters().batchSize());
        double baseRate = recipe.method() == dev.tooltune.contracts.jobs.TrainingMethod.FULL
                ? defaults.fullLearningRate() : defaults.learningRate();
        hyper.put("learning_rate_multiplier", recipe.hyperparameters().learningRate() / baseRate);
        hyper.put("n_epochs", recipe.hyperparameters().epochs());
        Map<String, Object> tooltune = new LinkedHashMap<>();
        tooltune.put("method", json.convertValue(recipe.method(), String.class));
        tooltune.put("learning_rate", recipe.hyperparameters().learningRate());
        tooltune.put("gradient_accumulation_steps", recipe.hyperparameters().gradientAccumulationSteps());
        tooltune.put("max_length", recipe.hyperparameters().maxLength());
        if (recipe.lora() != null) {
            Map<String, Object> lora = new LinkedHashMap<>();
            lora.put("rank", recipe.lora().rank());
            lora.put("alpha", recipe.lora().alpha());
            lora.put("dropout", recipe.lora().dropout());
            lora.put("target_modules", recipe.lora().targetModules());
            lora.put("rs_lora", recipe.lora().rsLora());
            tooltune.put("lora", lora);
        }
        tooltune.put("adapter_name", recipe.adapterName());
        tooltune.put("adapter_id", job.adapterId);
        tooltune.put("training_dataset", Map.of("dataset_id", recipe.trainingData().datasetId(),
                "version", recipe.trainingData().version()));
        Map<String, Object> method = Map.of("type", "supervised", "supervised", Map.of("hyperparameters", hyper));
        Error error = job.errorCode == null ? null : new Error(job.errorCode, job.errorMessage, job.errorParam);
        return new Job(job.id, "fine_tuning.job", job.createdAt.getEpochSecond(), error, job.fineTunedModel,
                seconds(job.finishedAt), hyper, job.model, job.tenantId, List.of(), job.seed, job.status,
                job.trainedTokens, job.trainingFile, job.validationFile, seconds(job.estimatedFinish), List.of(),
                tree(json, job.metadata), method, job.suffix, tooltune);
    }

    static Event event(JobEvent event, ObjectMapper json) {
        // OpenAI's "metrics" events are progress (step, losses); the succeeded event's data (the evaluation before
        // and after training) is a "message" with data, so that progress bars do not read it as a step.
        String type = event.data != null && JobRunning.TYPE.equals(event.type) ? "metrics" : "message";
        return new Event(event.eventId, "fine_tuning.job.event", event.occurredAt.getEpochSecond(), event.level,
                event.message, type, tree(json, event.data));
    }

    static Long seconds(Instant instant) {
        return instant == null ? null : instant.getEpochSecond();
    }

    static JsonNode tree(ObjectMapper json, String text) {
        if (text == null) {
            return null;
        }
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JobViews() {
    }
}
