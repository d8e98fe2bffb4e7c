package dev.tooltune.trainer.worker;

import dev.tooltune.contracts.events.FailureKind;

/** A job that cannot succeed, with a reason the user can act on. */
final class JobFailure extends Exception {

    final FailureKind kind;

    JobFailure(FailureKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    JobFailure(FailureKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }
}
