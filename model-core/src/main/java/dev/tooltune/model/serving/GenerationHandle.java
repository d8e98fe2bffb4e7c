package dev.tooltune.model.serving;

import java.util.concurrent.CompletableFuture;

/** A submitted generation: its result, and a cancel that frees its slot at the next step (finish CANCELLED). */
public interface GenerationHandle {
    CompletableFuture<Completion> result();

    void cancel();
}
