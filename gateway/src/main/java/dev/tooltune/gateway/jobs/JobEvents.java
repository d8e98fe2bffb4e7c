package dev.tooltune.gateway.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.contracts.events.JobCancelled;
import dev.tooltune.contracts.events.JobFailed;
import dev.tooltune.contracts.events.JobQueued;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.events.JobSucceeded;
import dev.tooltune.contracts.events.JobValidating;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.events.UnrecognizedTrainingEvent;
import dev.tooltune.gateway.models.AdapterRecord;
import dev.tooltune.gateway.models.FineTunedModelNames;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Applies training-events to the job registry: each event is stored once (its eventId is the key of job_event, so a
 * redelivered copy changes nothing) and moves the job's status the way OpenAI's statuses go. Events of one job come
 * in order (one partition per job id). A finished job stays finished, except that {@code succeeded} wins over a
 * cancel that came too late: the adapter then exists and is served.
 */
@ApplicationScoped
public class JobEvents {
    private static final Logger LOG = Logger.getLogger(JobEvents.class);

    @Inject
    ObjectMapper json;

    /** A note of the gateway's own in the job's event log. */
    static void note(String jobId, String level, String message, Instant at) {
        insert("gw-" + UUID.randomUUID(), jobId, "message", level, message, null, at);
    }

    /** Returns false when the event was skipped: another system's job, or a copy already applied. */
    @Transactional
    public boolean apply(TrainingEvent event) {
        if (event instanceof UnrecognizedTrainingEvent unknown) {
            LOG.debugf("skipping training event of unknown type %s for job %s", unknown.type(), unknown.jobId());
            return false;
        }
        FineTuningJob job = FineTuningJob.findById(event.jobId());
        if (job == null || !job.tenantId.equals(event.tenantId())) {
            return false; // not a job of this registry (a shared broker carries others' jobs too)
        }
        ObjectNode data = null;
        String level = "info";
        String type;
        String message;
        if (event instanceof JobValidating validating) {
            type = JobValidating.TYPE;
            message = validating.message() != null ? validating.message() : "Validating training file: "
                    + job.trainingFile + (job.validationFile == null ? "" : " and validation file: "
                    + job.validationFile);
        } else if (event instanceof JobQueued) {
            type = JobQueued.TYPE;
            message = "Fine-tuning job is queued for a worker";
        } else if (event instanceof JobRunning running) {
            type = JobRunning.TYPE;
            data = progress(running);
            message = "Step " + running.step() + "/" + running.totalSteps()
                    + (running.loss() == null ? "" : String.format(": training loss=%.4f", running.loss()))
                    + (running.evalLoss() == null ? "" : String.format(", validation loss=%.4f", running.evalLoss()));
        } else if (event instanceof JobSucceeded succeeded) {
            type = JobSucceeded.TYPE;
            message = "The job has successfully completed: adapter " + succeeded.adapterName() + " version "
                    + succeeded.adapterVersion();
            if (succeeded.metrics() != null && !succeeded.metrics().isEmpty()) {
                data = json.valueToTree(succeeded.metrics()); // the trainer's evaluation, e.g. eval_loss_before/_after
            }
        } else if (event instanceof JobFailed failed) {
            type = JobFailed.TYPE;
            level = "error";
            message = "Fine-tuning job failed (" + json.convertValue(failed.reason(), String.class) + "): "
                    + failed.message();
        } else if (event instanceof JobCancelled cancelled) {
            type = JobCancelled.TYPE;
            message = cancelled.message() != null ? cancelled.message() : "Fine-tuning job was cancelled";
        } else {
            return false;
        }
        if (!insert(event.eventId(), job.id, type, level, message, data == null ? null : data.toString(),
                event.occurredAt())) {
            return false; // a redelivered copy
        }
        move(job, event);
        return true;
    }

    /** OpenAI's metrics event data. */
    private ObjectNode progress(JobRunning running) {
        ObjectNode data = json.createObjectNode();
        data.put("step", running.step());
        data.put("total_steps", running.totalSteps());
        data.put("epoch", running.epoch());
        if (running.loss() != null) {
            data.put("train_loss", running.loss());
        }
        if (running.evalLoss() != null) {
            data.put("valid_loss", running.evalLoss());
        }
        data.put("learning_rate", running.learningRate());
        if (running.tokensPerSecond() != null) {
            data.put("tokens_per_second", running.tokensPerSecond());
        }
        if (running.etaSeconds() != null) {
            data.put("eta_seconds", running.etaSeconds());
        }
        return data;
    }

    private void move(FineTuningJob job, TrainingEvent event) {
        boolean finished = job.finished();
        if (event instanceof JobSucceeded succeeded) {
            if (!JobStatus.SUCCEEDED.equals(job.status)) {
                AdapterRecord adapter = AdapterRecord.findById(succeeded.adapterId());
                job.status = JobStatus.SUCCEEDED;
                job.adapterId = succeeded.adapterId();
                job.fineTunedModel = adapter != null ? adapter.fineTunedModel
                        : FineTunedModelNames.of(job.model, job.tenantId, succeeded.adapterName(), job.id);
                job.trainedTokens = succeeded.trainedTokens();
                job.finishedAt = succeeded.occurredAt();
                job.estimatedFinish = null;
                job.errorCode = null;
                job.errorMessage = null;
                job.errorParam = null;
                insert("gw-" + UUID.randomUUID(), job.id, "message", "info", "New fine-tuned model created: "
                        + job.fineTunedModel, null, succeeded.occurredAt());
            }
            return;
        }
        if (finished) {
            return;
        }
        if (event instanceof JobValidating) {
            job.status = JobStatus.VALIDATING_FILES;
        } else if (event instanceof JobQueued) {
            job.status = JobStatus.QUEUED;
        } else if (event instanceof JobRunning running) {
            job.status = JobStatus.RUNNING;
            job.estimatedFinish = running.etaSeconds() == null ? null
                    : running.occurredAt().plusSeconds(running.etaSeconds());
        } else if (event instanceof JobFailed failed) {
            job.status = JobStatus.FAILED;
            job.errorCode = json.convertValue(failed.reason(), String.class);
            job.errorMessage = failed.message();
            job.errorParam = switch (job.errorCode) {
                case "invalid_dataset" -> "training_file";
                case "unknown_model" -> "model";
                case "invalid_hyperparameters", "out_of_memory", "training_diverged" -> "hyperparameters";
                default -> null;
            };
            job.finishedAt = failed.occurredAt();
            job.estimatedFinish = null;
        } else if (event instanceof JobCancelled cancelled) {
            job.status = JobStatus.CANCELLED;
            job.finishedAt = cancelled.occurredAt();
            job.estimatedFinish = null;
        }
    }

    /** Inserts an event row unless its id is there already; true if inserted. */
    private static boolean insert(String eventId, String jobId, String type, String level, String message,
                                  String data, Instant at) {
        return Panache.getEntityManager().createNativeQuery("insert into job_event (event_id, job_id, type, level, "
                        + "message, data, occurred_at) values (?1, ?2, ?3, ?4, ?5, cast(?6 as jsonb), ?7) "
                        + "on conflict (event_id) do nothing")
                .setParameter(1, eventId)
                .setParameter(2, jobId)
                .setParameter(3, type)
                .setParameter(4, level)
                .setParameter(5, message.length() > 4000 ? message.substring(0, 3997) + "..." : message)
                .setParameter(6, data)
                .setParameter(7, at)
                .executeUpdate() > 0;
    }
}
