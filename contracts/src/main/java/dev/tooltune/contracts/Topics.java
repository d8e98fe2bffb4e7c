package dev.tooltune.contracts;

import java.util.List;

/**
 * The Kafka topics of ToolTune, described in docs/contracts.md. scripts/kafka.sh creates them with these
 * partition counts and cleanup policies (the contracts integration test checks the running broker against
 * {@link #ALL}); docker-compose and Kubernetes manifests must agree too.
 */
public final class Topics {

    /**
     * @param name          the topic name
     * @param partitions    partitions of a new topic; also the most consumers of one group that get work
     * @param compacted     cleanup.policy=compact (latest record per key kept) instead of delete (time-based)
     * @param key           what the record key is
     * @param schemaVersion the schema version producers write in every message; readers accept 1..this
     */
    public record Topic(String name, int partitions, boolean compacted, String key, int schemaVersion) {

        public String cleanupPolicy() {
            return compacted ? "compact" : "delete";
        }
    }

    /**
     * Jobs to run ({@code JobCommand} of type submit), key: job id. Consumed by trainer-service as one Kafka share
     * group (a queue: each job goes to one worker, which holds it until it reaches a final state).
     */
    public static final Topic TRAINING_JOBS = new Topic("training-jobs", 12, false, "jobId", 1);

    /**
     * Cancel requests ({@code JobCommand} of type cancel), key: job id. A broadcast: every trainer worker reads every
     * partition from the end, without a group, because only the worker holding the job knows it has it.
     */
    public static final Topic TRAINING_CANCELS = new Topic("training-cancels", 1, false, "jobId", 1);

    /** Job status and progress ({@code TrainingEvent}), key: job id. Consumed by the gateway. */
    public static final Topic TRAINING_EVENTS = new Topic("training-events", 6, false, "jobId", 1);

    /** Servable adapters ({@code Adapter}), compacted, key: adapter id, null value = deleted. */
    public static final Topic ADAPTERS = new Topic("adapters", 3, true, "adapterId", 1);

    public static final List<Topic> ALL = List.of(TRAINING_JOBS, TRAINING_CANCELS, TRAINING_EVENTS, ADAPTERS);

    private Topics() {
    }
}
