package dev.tooltune.model.serving;

/** Receives a request's tokens as they are accepted, on the scheduler's thread; keep it cheap. */
@FunctionalInterface
public interface TokenSink {
    /** @return false to end the generation here (e.g. a stop string appeared); finish reason STOP */
    boolean onToken(int token);
}
