package dev.tooltune.inference.serving;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * The service's own meters (Prometheus at /q/metrics): queue depth and running sequences (gauges over the engine),
 * generated tokens (a counter: its rate is tokens/s), time to first token, request durations by outcome, rejections.
 * The adapter cache registers its hits, misses and loads itself.
 */
@ApplicationScoped
public class ServingMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    InferenceRuntime runtime;

    private Counter tokens;
    private Counter promptTokens;
    private Counter rejected;
    private Timer ttft;

    @jakarta.annotation.PostConstruct
    void register() {
        registry.gauge("tooltune.inference.queue.depth", runtime,
                r -> r.engine() == null ? 0 : r.engine().queued());
        registry.gauge("tooltune.inference.running.sequences", runtime,
                r -> r.engine() == null ? 0 : r.engine().running());
        tokens = registry.counter("tooltune.inference.tokens.generated");
        promptTokens = registry.counter("tooltune.inference.tokens.prompt");
        rejected = registry.counter("tooltune.inference.requests.rejected");
        ttft = Timer.builder("tooltune.inference.time.to.first.token").publishPercentileHistogram()
                .register(registry);
    }

    public void generated(int prompt, int completion) {
        promptTokens.increment(prompt);
        tokens.increment(completion);
    }

    public void firstToken(long nanos) {
        ttft.record(Duration.ofNanos(nanos));
    }

    public void rejected() {
        rejected.increment();
    }

    public void finished(String outcome, long nanos) {
        registry.timer("tooltune.inference.request.duration", "outcome", outcome).record(Duration.ofNanos(nanos));
    }
}
