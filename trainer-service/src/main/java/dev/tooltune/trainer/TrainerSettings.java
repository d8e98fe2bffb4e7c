package dev.tooltune.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Every setting of a trainer worker ({@code tooltune.trainer.*}); README.md describes each one. */
@ConfigMapping(prefix = "tooltune.trainer")
public interface TrainerSettings {

    /** Kafka bootstrap servers. */
    @WithDefault("localhost:9092")
    String bootstrapServers();

    Topics topics();

    interface Topics {
        @WithDefault("training-jobs")
        String jobs();

        @WithDefault("training-cancels")
        String cancels();

        @WithDefault("training-events")
        String events();

        @WithDefault("adapters")
        String adapters();
    }

    /** The share group all workers join to take jobs from the jobs topic. */
    @WithDefault("tooltune-trainers")
    String group();

    /** How long the broker keeps a job locked to this worker without a renewal (group config share.record.lock.duration.ms). */
    @WithDefault("PT60S")
    Duration lockDuration();

    /** How often a running job's acquisition lock is renewed (RENEW); well under lockDuration. */
    @WithDefault("PT15S")
    Duration lockRenewal();

    /**
     * Deliveries of one job before the broker archives it: the broker's group.share.delivery.count.limit (default 5;
     * Kafka 4.2.0 has no per-group setting). The worker reports an internal error as failed on this delivery only.
     */
    @WithDefault("5")
    int deliveryLimit();

    /** Whether this worker sets the share group's configs (lock duration, offset reset) at start. */
    @WithDefault("true")
    boolean configureGroup();

    /** Base URL of dataset-service. */
    @WithDefault("http://localhost:8081")
    String datasetServiceUrl();

    /**
     * Base URL of the gateway, which keeps the in-flight claims of jobs (a worker trains a job only while it holds
     * its claim; the claim lives lockDuration and is renewed every lockRenewal).
     */
    @WithDefault("http://localhost:8080")
    String gatewayUrl();

    /** Sent as X-Tooltune-Internal-Token to dataset-service and the gateway (TOOLTUNE_INTERNAL_TOKEN). */
    @io.smallrye.config.WithName("internal-token")
    Optional<String> internalToken();

    /** Artifact store: a directory (file:///... or a path). */
    @WithDefault("${user.home}/.cache/tooltune/artifacts")
    String artifacts();

    /** Local scratch space for datasets, checkpoints and adapters while a job runs. */
    @WithDefault("${java.io.tmpdir}/tooltune-trainer")
    String workDirectory();

    /** Optimizer steps between checkpoints (also written on cancel and shutdown); 0 = only then. */
    @WithDefault("50")
    int checkpointEvery();

    /** auto (GPU when present, else CPU), cpu, or gpu / gpu:N. */
    @WithDefault("auto")
    String device();

    /** Compute precision: float32 or bfloat16 (bfloat16 only on a GPU). */
    @WithDefault("float32")
    String precision();

    /** Pause before a job that failed with an internal error is released for its next delivery; doubles each time (at most 60 s). */
    @WithDefault("PT5S")
    Duration retryBackoff();

    /** At most one running event per this interval. */
    @WithDefault("PT1S")
    Duration progressInterval();

    /** Tool-call evaluation: at most this many eval examples, this many new tokens each (0 examples = no evaluation). */
    @WithDefault("64")
    int evalExamples();

    @WithDefault("256")
    int evalMaxNewTokens();

    /** Recent cancels kept, so that a job cancelled before it starts is never started. */
    @WithDefault("10000")
    int cancelMemory();

    /** Shut down the worker after this many jobs (0 = never); tests use it. */
    @WithDefault("0")
    int stopAfterJobs();
}
