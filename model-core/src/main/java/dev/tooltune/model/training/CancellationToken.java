package dev.tooltune.model.training;

/** Asks a running training to stop; the trainer checks it between optimizer steps. Thread-safe. */
public final class CancellationToken {

    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
