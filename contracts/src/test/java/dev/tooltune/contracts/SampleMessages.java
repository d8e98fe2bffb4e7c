package dev.tooltune.contracts;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.FailureKind;
import dev.tooltune.contracts.events.JobCancelled;
import dev.tooltune.contracts.events.JobFailed;
import dev.tooltune.contracts.events.JobQueued;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.events.JobSucceeded;
import dev.tooltune.contracts.events.JobValidating;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.Hyperparameters;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.jobs.LoraSettings;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.contracts.validation.Validatable;

/** One valid message of every type, with ids that carry a suffix so that test runs do not see each other's. */
final class SampleMessages {

    /** A message and the codec of its topic. */
    record Sample<T extends Validatable>(MessageCodec<T> codec, T message) {

        byte[] encode() {
            return codec.encode(message);
        }

        T decode(byte[] value) {
            return codec.decode(value);
        }

        String key() {
            return codec.key(message);
        }

        @Override
        public String toString() {
            return message.getClass().getSimpleName();
        }
    }

    static final Instant AT = Instant.parse("2026-11-27T20:30:00.123456Z");

    private final String job;
    private final String tenant = "acme";

    SampleMessages(String suffix) {
        this.job = "ftjob-" + suffix;
    }

    TrainingJob loraJob() {
        return new TrainingJob(job, tenant, AT,
                new BaseModel("google/gemma-3-270m-it", null),
                new DatasetRef("ds-support-tools", 3),
                new DatasetRef("ds-support-tools-eval", 1),
                TrainingMethod.LORA,
                new Hyperparameters(3, 2e-4, 4, 4, 2048),
                new LoraSettings(16, 32.0, 0.05, List.of("q_proj", "k_proj", "v_proj", "o_proj"), false),
                42L, "support-agent");
    }

    TrainingJob fullJob() {
        return new TrainingJob(job + "-full", tenant, AT,
                new BaseModel("/models/gemma-3-270m-it", "main"),
                new DatasetRef("ds-support-tools", 3), null,
                TrainingMethod.FULL,
                new Hyperparameters(1, 1e-5, 8, 1, 1024),
                null, 7L, "support-agent-full");
    }

    CancelTrainingJob cancel() {
        return new CancelTrainingJob(job, tenant, AT.plusSeconds(60), "wrong dataset");
    }

    JobValidating validating() {
        return new JobValidating("ev-" + job + "-1", job, tenant, AT.plusSeconds(1), "checking 412 examples");
    }

    JobQueued queued() {
        return new JobQueued("ev-" + job + "-2", job, tenant, AT.plusSeconds(2), null);
    }

    JobRunning running() {
        return new JobRunning("ev-" + job + "-3", job, tenant, AT.plusSeconds(30),
                120L, 300L, 1.2, 0.734, 0.812, 1.6e-4, 5230.5, 95L);
    }

    JobRunning runningStart() {
        return new JobRunning("ev-" + job + "-3a", job, tenant, AT.plusSeconds(3),
                0L, 300L, 0.0, null, null, 0.0, null, null);
    }

    JobSucceeded succeeded() {
        return new JobSucceeded("ev-" + job + "-4", job, tenant, AT.plusSeconds(200),
                "ad-" + job, "support-agent", 2, 1_234_567L);
    }

    JobFailed failed() {
        return new JobFailed("ev-" + job + "-5", job, tenant, AT.plusSeconds(40), FailureKind.OUT_OF_MEMORY,
                "CUDA out of memory at step 3 with batchSize 16 and maxLength 4096: lower one of them, or use qlora");
    }

    JobCancelled cancelled() {
        return new JobCancelled("ev-" + job + "-6", job, tenant, AT.plusSeconds(61), "cancelled at step 57");
    }

    Adapter adapter() {
        return new Adapter("ad-" + job, "support-agent", 2, tenant, job,
                new BaseModel("google/gemma-3-270m-it", "3f8a1c2d9e0b4a5c6d7e8f90a1b2c3d4e5f60718"),
                TrainingMethod.LORA,
                "s3://tooltune-artifacts/acme/ad-" + job + "/",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                5_242_880L,
                Map.of("eval_loss", 0.812, "tool_call_valid_rate_before", 0.41, "tool_call_valid_rate_after", 0.97),
                AT.plusSeconds(199));
    }

    List<Sample<?>> all() {
        return List.of(
                job(loraJob()), job(fullJob()), job(cancel()),
                event(validating()), event(queued()), event(runningStart()), event(running()),
                event(succeeded()), event(failed()), event(cancelled()),
                new Sample<>(MessageCodec.ADAPTERS, adapter()));
    }

    static Sample<JobCommand> job(JobCommand command) {
        return new Sample<>(MessageCodec.TRAINING_JOBS, command);
    }

    static Sample<TrainingEvent> event(TrainingEvent event) {
        return new Sample<>(MessageCodec.TRAINING_EVENTS, event);
    }
}
