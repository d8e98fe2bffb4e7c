package dev.tooltune.gateway.jobs;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.outbox.Outbox;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * A job no trainer reports on does not stay {@code running} (or queued) forever. Trainers send an event at least every
 * progress interval while they work, and the broker hands a job whose worker died to another worker; but when the
 * broker lost the job's record (its data was lost) nobody ever takes it again. A job silent for
 * {@code tooltune.gateway.jobs.heartbeat-timeout} is therefore queued again from the recipe the registry kept (a
 * worker resumes it from its last checkpoint), at most {@code max-requeues} times; after that it fails with the
 * reason, and a cancel is broadcast so that a worker that is alive but cut off stops too.
 */
@ApplicationScoped
public class JobWatchdog {
    private static final Logger LOG = Logger.getLogger(JobWatchdog.class);
    public static final String NO_HEARTBEAT = "no_heartbeat";

    @Inject
    GatewayConfig config;
    @Inject
    Outbox outbox;

    private ScheduledExecutorService timer;

    void start(@Observes StartupEvent event) {
        long every = Math.max(100, config.jobs().watchdogInterval().toMillis());
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "job-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::checkSafely, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void checkSafely() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warnf(e, "job watchdog: the check failed; trying again at the next interval");
        }
    }

    /** Queues again or fails every job silent past the deadline; returns how many it touched. */
    @Transactional
    public int check() {
        Duration timeout = config.jobs().heartbeatTimeout();
        Instant now = Instant.now();
        int touched = 0;
        for (FineTuningJob job : FineTuningJob.silentSince(now.minus(timeout))) {
            String silence = "No trainer reported on this job for " + describe(timeout);
            if (job.requeues < config.jobs().maxRequeues()) {
                job.requeues++;
                job.lastEventAt = now;
                job.status = JobStatus.QUEUED;
                job.estimatedFinish = null;
                outbox.add(config.topics().trainingJobs(), job.id, job.recipe);
                JobEvents.note(job.id, "warn", silence + ": queued again (" + job.requeues + " of "
                        + config.jobs().maxRequeues() + "); a worker resumes it from its last checkpoint", now);
                LOG.warnf("job %s: silent for %s, queued again (%d of %d)", job.id, timeout, job.requeues,
                        config.jobs().maxRequeues());
            } else {
                job.status = JobStatus.FAILED;
                job.errorCode = NO_HEARTBEAT;
                job.errorMessage = silence + " after it was queued again " + job.requeues + " times; no worker "
                        + "could run it. Check that trainer-service is up, then create the job again.";
                job.errorParam = null;
                job.finishedAt = now;
                job.estimatedFinish = null;
                CancelTrainingJob cancel = new CancelTrainingJob(job.id, job.tenantId, now, job.errorMessage);
                outbox.add(config.topics().trainingCancels(), job.id, MessageCodec.TRAINING_CANCELS.toJson(cancel));
                JobEvents.note(job.id, "error", "Fine-tuning job failed (" + NO_HEARTBEAT + "): " + job.errorMessage,
                        now);
                LOG.warnf("job %s failed: %s", job.id, job.errorMessage);
            }
            touched++;
        }
        return touched;
    }

    private static String describe(Duration d) {
        long s = d.toSeconds();
        return s % 60 == 0 && s >= 60 ? (s / 60) + " min" : s + " s";
    }
}
