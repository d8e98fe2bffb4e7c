package dev.tooltune.inference.serving;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the base model is loaded and the adapters topic has been read to its end. Liveness: the process. */
public class InferenceHealth {

    @Readiness
    @ApplicationScoped
    public static class Ready implements HealthCheck {
        @Inject
        InferenceRuntime runtime;

        @Override
        public HealthCheckResponse call() {
            String why = runtime.stopping() ? "shutting down" : runtime.notReadyBecause();
            var builder = HealthCheckResponse.named("inference").status(why == null);
            if (runtime.baseModel() != null) {
                builder.withData("baseModel", runtime.baseModel().id() + "@" + runtime.baseModel().revision());
            }
            builder.withData("adapters", runtime.registry().size());
            if (why != null) {
                builder.withData("waitingFor", why);
            }
            return builder.build();
        }
    }

    @Liveness
    @ApplicationScoped
    public static class Alive implements HealthCheck {
        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.up("inference");
        }
    }
}
