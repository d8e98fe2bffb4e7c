package dev.tooltune.model.serving;

import java.util.concurrent.CompletableFuture;

/** A submitted chat request: its result, and a cancel that frees its slot at the next step (finish CANCELLED). */
public interface ChatHandle {
    CompletableFuture<ChatResult> result();

    void cancel();
}
