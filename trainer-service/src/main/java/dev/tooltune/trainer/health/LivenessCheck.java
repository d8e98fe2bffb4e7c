package dev.tooltune.trainer.health;

import dev.tooltune.trainer.WorkerLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Alive while the process answers and its job queue takes jobs. A training step can take long, so liveness never
 * waits for one; but a worker whose queue stopped (an error the queue could not get over) is up for nothing, so it
 * says DOWN and the orchestrator restarts it.
 */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {
    @Inject
    WorkerLifecycle worker;

    @Override
    public HealthCheckResponse call() {
        return worker.queueFailure()
                .map(e -> HealthCheckResponse.named("trainer").down().withData("jobQueue", "stopped: " + e).build())
                .orElseGet(() -> HealthCheckResponse.up("trainer"));
    }
}
