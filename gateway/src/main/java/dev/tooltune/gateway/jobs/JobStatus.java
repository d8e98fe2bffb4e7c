package dev.tooltune.gateway.jobs;

import java.util.Set;

/** OpenAI's fine-tuning job statuses, which training-events follow one to one. */
public final class JobStatus {
    public static final String VALIDATING_FILES = "validating_files";
    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    private static final Set<String> TERMINAL = Set.of(SUCCEEDED, FAILED, CANCELLED);

    public static boolean isTerminal(String status) {
        return TERMINAL.contains(status);
    }

    private JobStatus() {
    }
}
