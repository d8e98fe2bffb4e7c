package dev.tooltune.inference.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted generation: its result, and a way to stop it (client gone, timeout, shutdown). */
public interface ChatHandle {

    /** Completes with the outcome (finish reason CANCELLED after {@link #cancel()}), or exceptionally on failure. */
    CompletableFuture<ChatOutcome> result();

    /** Stops the generation at the next step; a queued one never starts. Idempotent. */
    void cancel();
}
