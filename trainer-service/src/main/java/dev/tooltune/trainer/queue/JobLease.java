package dev.tooltune.trainer.queue;

/** What the worker decided about the job it holds, given back to the queue when the work ends. */
public enum JobLease {
    /** The job reached a final state (succeeded, failed, cancelled, already done): never deliver it again. */
    ACCEPT,
    /** This worker stops before the job ends (shutdown): deliver it again, to any worker, which resumes it. */
    RELEASE
}
