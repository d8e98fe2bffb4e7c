package dev.tooltune.gateway.jobs;

import io.quarkus.security.Authenticated;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.contracts.DatasetRef;
import dev.tooltune.contracts.validation.InvalidMessageException;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.gateway.api.ListPage;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.files.FileRecord;
import dev.tooltune.gateway.outbox.Outbox;
import dev.tooltune.gateway.tenancy.Caller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestMulti;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * OpenAI's fine-tuning jobs API over the job registry. Creating a job stores it and its training-jobs message in one
 * transaction (the outbox); its status then follows training-events ({@link TrainingEventsConsumer}).
 */
@Authenticated
@Path("/v1/fine_tuning/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Fine-tuning", description = "Fine-tuning jobs (OpenAI-compatible, with ToolTune's `tooltune` extension)")
public class FineTuningJobsResource {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** OpenAI's suffix rule, which is also a valid adapter name. */
    private static final Pattern SUFFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    @Inject
    Caller caller;
    @Inject
    GatewayConfig config;
    @Inject
    Outbox outbox;
    @Inject
    dev.tooltune.gateway.models.ServedModels servedModels;
    @Inject
    ObjectMapper json;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a fine-tuning job",
            description = "OpenAI's request (model, training_file, validation_file, suffix, seed, method.supervised."
                    + "hyperparameters, metadata) plus ToolTune's optional `tooltune` object: method (lora, qlora, "
                    + "full), learning_rate, gradient_accumulation_steps, max_length, lora {rank, alpha, dropout, "
                    + "target_modules, rs_lora}.")
    @Transactional
    public JobViews.Job create(JsonNode request) {
        if (request == null || !request.isObject()) {
            throw OpenAiException.invalidRequest(null, "invalid_request", "The body must be a JSON object.");
        }
        String tenant = caller.tenantId();
        String model = requiredText(request, "model");
        if (!config.baseModels().contains(model)) {
            throw OpenAiException.invalidRequest("model", "model_not_available", "Model " + model
                    + " is not available for fine-tuning. Available: " + String.join(", ",
                    config.baseModels()) + ".");
        }
        // A fine-tuned model only answers on top of its base model: refuse a base inference-service does not serve
        // (its job would train for minutes, then never answer).
        List<String> servable = servedModels.servableBaseModels(tenant);
        if (!servable.contains(model)) {
            throw OpenAiException.invalidRequest("model", "model_not_available", "Model " + model
                    + " is not served by this deployment's inference service, so a model fine-tuned on it could "
                    + "not answer. Base models you can fine-tune here: " + String.join(", ", servable) + ".");
        }
        FileRecord training = file(tenant, requiredText(request, "training_file"), "training_file");
        String validationId = optionalText(request, "validation_file");
        FileRecord validation = validationId == null ? null : file(tenant, validationId, "validation_file");
        String suffix = optionalText(request, "suffix");
        if (suffix != null && !SUFFIX.matcher(suffix).matches()) {
            throw OpenAiException.invalidRequest("suffix", "invalid_value", "suffix must be 1 to 64 letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit (was '" + suffix + "').");
        }
        JsonNode seedNode = request.get("seed");
        if (seedNode != null && !seedNode.isNull() && !seedNode.isIntegralNumber()) {
            throw OpenAiException.invalidRequest("seed", "invalid_type", "seed must be a whole number.");
        }
        long seed = seedNode == null || seedNode.isNull() ? RANDOM.nextInt(Integer.MAX_VALUE) : seedNode.asLong();
        JsonNode metadata = request.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw OpenAiException.invalidRequest("metadata", "invalid_type", "metadata must be an object.");
        }

        String jobId = "ftjob-" + HexFormat.of().formatHex(randomBytes(12));
        Instant now = Instant.now();
        TrainingJob recipe = new JobRecipe(config.jobDefaults()).build(jobId, tenant, now, request, model,
                ref(training), validation == null ? null : ref(validation), seed, suffix == null ? jobId : suffix);
        String message;
        try {
            message = MessageCodec.TRAINING_JOBS.toJson(recipe);
        } catch (InvalidMessageException e) {
            throw OpenAiException.invalidRequest(e.violations().get(0).field(), "invalid_value",
                    "Invalid fine-tuning job: " + e.getMessage());
        }

        FineTuningJob job = new FineTuningJob();
        job.id = jobId;
        job.tenantId = tenant;
        job.model = model;
        job.trainingFile = training.id;
        job.validationFile = validation == null ? null : validation.id;
        job.suffix = suffix;
        job.seed = seed;
        job.status = JobStatus.VALIDATING_FILES;
        job.recipe = message;
        job.createdAt = now;
        job.metadata = metadata == null || metadata.isNull() ? null : metadata.toString();
        job.persist();
        JobEvents.note(jobId, "info", "Created fine-tuning job: " + jobId, now);
        outbox.add(config.topics().trainingJobs(), jobId, message);
        return JobViews.job(job, json, config.jobDefaults());
    }

    @GET
    @Operation(summary = "The tenant's jobs, newest first (paged with after and limit)")
    @Transactional
    public ListPage<JobViews.Job> list(@RestQuery String after, @RestQuery Integer limit) {
        int pageSize = ListPage.limit(limit, 100);
        String tenant = caller.tenantId();
        String query = "tenantId = :tenant";
        Map<String, Object> parameters = new HashMap<>(Map.of("tenant", tenant));
        if (after != null) {
            FineTuningJob cursor = require(after, "after");
            query += " and (createdAt < :at or (createdAt = :at and id < :id))";
            parameters.put("at", cursor.createdAt);
            parameters.put("id", cursor.id);
        }
        List<FineTuningJob> rows = FineTuningJob.<FineTuningJob>find(query + " order by createdAt desc, id desc",
                parameters).page(0, pageSize + 1).list();
        return ListPage.of(rows.stream().map(this::view).toList(), pageSize, JobViews.Job::id);
    }

    @GET
    @Path("/{jobId}")
    @Operation(summary = "One job")
    @Transactional
    public JobViews.Job retrieve(@RestPath String jobId) {
        return view(require(jobId, "fine_tuning_job_id"));
    }

    @POST
    @Path("/{jobId}/cancel")
    @Operation(summary = "Cancel a job: recorded here and sent to every trainer on training-cancels")
    @Transactional
    public JobViews.Job cancel(@RestPath String jobId) {
        FineTuningJob job = require(jobId, "fine_tuning_job_id");
        if (job.finished()) {
            throw OpenAiException.invalidRequest("fine_tuning_job_id", "job_not_cancellable", "Job " + jobId
                    + " has already " + job.status + " and cannot be cancelled.");
        }
        Instant now = Instant.now();
        if (job.cancelRequestedAt == null) {
            job.cancelRequestedAt = now;
            CancelTrainingJob cancel = new CancelTrainingJob(job.id, job.tenantId, now, "cancelled through the API");
            outbox.add(config.topics().trainingCancels(), job.id, MessageCodec.TRAINING_CANCELS.toJson(cancel));
            JobEvents.note(job.id, "info", "Job cancellation requested", now);
        }
        // OpenAI answers a cancel with the job already cancelled; a trainer that finishes anyway (the cancel came
        // too late) still turns it into succeeded, because its adapter then exists.
        job.status = JobStatus.CANCELLED;
        job.finishedAt = now;
        return view(job);
    }

    @GET
    @Path("/{jobId}/events")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The job's events, newest first (paged with after and limit); with stream=true or "
            + "Accept: text/event-stream, a Server-Sent Events stream, oldest first, that ends with [DONE] when the "
            + "job has finished")
    public ListPage<JobViews.Event> events(@RestPath String jobId, @RestQuery String after, @RestQuery Integer limit,
                                           @RestQuery Boolean stream) {
        int pageSize = ListPage.limit(limit, 1000);
        return QuarkusTransaction.requiringNew().call(() -> {
            require(jobId, "fine_tuning_job_id");
            String query = "jobId = :job";
            Map<String, Object> parameters = new HashMap<>(Map.of("job", jobId));
            if (after != null) {
                JobEvent cursor = JobEvent.<JobEvent>find("eventId = ?1 and jobId = ?2", after, jobId)
                        .firstResultOptional().orElseThrow(() -> OpenAiException.notFound("after",
                                "No such event of job " + jobId + ": " + after));
                query += " and seq < :seq";
                parameters.put("seq", cursor.seq);
            }
            List<JobEvent> rows = JobEvent.<JobEvent>find(query + " order by seq desc", parameters)
                    .page(0, pageSize + 1).list();
            return ListPage.of(rows.stream().map(e -> JobViews.event(e, json)).toList(), pageSize,
                    JobViews.Event::id);
        });
    }

    /**
     * The job's events as Server-Sent Events, oldest first, as they arrive; after the job's last event, {@code [DONE]}.
     * {@link EventStreamRequests} sends {@code stream=true} here. The database is polled every
     * {@code events.poll-interval} by a tick, so an open stream holds no thread between polls.
     */
    @GET
    @Path("/{jobId}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(hidden = true)
    public Multi<Object> eventStream(@RestPath String jobId) {
        String tenant = caller.tenantId();
        QuarkusTransaction.requiringNew().run(() -> require(jobId, "fine_tuning_job_id"));
        AtomicLong sentUpTo = new AtomicLong();
        Multi<Object> events = Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1))
                .every(config.events().pollInterval())
                .onOverflow().drop()
                .onItem().transformToUniAndConcatenate(tick -> Uni.createFrom()
                        .item(() -> eventsAfter(tenant, jobId, sentUpTo))
                        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool()))
                .onItem().<Object>disjoint()
                .select().first(item -> item != END_OF_EVENTS)
                .onCompletion().continueWith("[DONE]");
        return RestMulti.fromMultiData(events).header("Cache-Control", "no-cache").build();
    }

    @GET
    @Path("/{jobId}/checkpoints")
    @Operation(summary = "The job's checkpoints: the trained adapter once the job has succeeded")
    @Transactional
    public ListPage<JobViews.Checkpoint> checkpoints(@RestQuery Integer limit, @RestPath String jobId) {
        FineTuningJob job = require(jobId, "fine_tuning_job_id");
        int pageSize = ListPage.limit(limit, 100);
        if (!JobStatus.SUCCEEDED.equals(job.status) || job.fineTunedModel == null) {
            return ListPage.of(List.of(), pageSize, JobViews.Checkpoint::id);
        }
        JobEvent lastProgress = JobEvent.<JobEvent>find("jobId = ?1 and type = 'running' order by seq desc", jobId)
                .firstResult();
        Map<String, Object> metrics = new HashMap<>();
        long step = 0;
        if (lastProgress != null && lastProgress.data != null) {
            JsonNode data = JobViews.tree(json, lastProgress.data);
            step = data.path("total_steps").asLong(data.path("step").asLong());
            data.fields().forEachRemaining(field -> {
                if (field.getValue().isNumber()) {
                    metrics.put(field.getKey(), field.getValue().numberValue());
                }
            });
        }
        metrics.put("step", step);
        JobViews.Checkpoint checkpoint = new JobViews.Checkpoint("ftckpt-" + job.id.substring("ftjob-".length()),
                "fine_tuning.job.checkpoint", JobViews.seconds(job.finishedAt), job.fineTunedModel, job.id,
                metrics, step);
        return ListPage.of(List.of(checkpoint), pageSize, JobViews.Checkpoint::id);
    }

    /** Marks, among a poll's items, that the job has finished and every event was sent. */
    private static final Object END_OF_EVENTS = new Object();

    /** The job's events after {@code sentUpTo}, oldest first; {@link #END_OF_EVENTS} once it finished, all sent. */
    private List<Object> eventsAfter(String tenant, String jobId, AtomicLong sentUpTo) {
        return QuarkusTransaction.requiringNew().call(() -> {
            FineTuningJob job = FineTuningJob.owned(tenant, jobId).orElseThrow();
            List<JobEvent> events = JobEvent.list("jobId = ?1 and seq > ?2 order by seq", jobId, sentUpTo.get());
            List<Object> items = new ArrayList<>();
            for (JobEvent event : events) {
                items.add(JobViews.event(event, json));
                sentUpTo.set(event.seq);
            }
            if (job.finished() && events.isEmpty()) {
                items.add(END_OF_EVENTS);
            }
            return items;
        });
    }

    private JobViews.Job view(FineTuningJob job) {
        return JobViews.job(job, json, config.jobDefaults());
    }

    private FineTuningJob require(String jobId, String param) {
        return FineTuningJob.owned(caller.tenantId(), jobId).orElseThrow(() ->
                OpenAiException.notFound(param, "No such fine-tuning job: " + jobId));
    }

    /**
     * A file the job names: one that is missing or another tenant's is a 400 on the parameter, as OpenAI answers
     * (the URL exists, the body is wrong; SDKs raise BadRequestError), the same for both so nothing leaks.
     */
    private static FileRecord file(String tenant, String fileId, String param) {
        return FileRecord.owned(tenant, fileId).orElseThrow(() -> OpenAiException.invalidRequest(param,
                "invalid_" + param, "invalid " + param + ": " + fileId + " (no such File object)."));
    }

    private static DatasetRef ref(FileRecord file) {
        return new DatasetRef(file.datasetId, file.datasetVersion);
    }

    private static String requiredText(JsonNode request, String field) {
        String value = optionalText(request, field);
        if (value == null) {
            throw OpenAiException.invalidRequest(field, "missing_required_parameter",
                    "Missing required parameter: '" + field + "'.");
        }
        return value;
    }

    private static String optionalText(JsonNode request, String field) {
        JsonNode node = request.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw OpenAiException.invalidRequest(field, "invalid_type", field + " must be a string.");
        }
        return node.asText();
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
