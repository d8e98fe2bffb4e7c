package dev.tooltune.trainer.worker;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The worker's Prometheus metrics: jobs running, duplicates skipped, step time, tokens per second, device memory in use. */
public final class WorkerMetrics {

    final AtomicInteger jobsRunning = new AtomicInteger();
    private final AtomicLong tokensPerSecond = new AtomicLong();
    private final Timer stepTime;
    private final Counter duplicatesSkipped;

    public WorkerMetrics(MeterRegistry registry, Device device) {
        Gauge.builder("tooltune_trainer_jobs_running", jobsRunning, AtomicInteger::get)
                .description("training jobs this worker runs now (0 or 1)").register(registry);
        Gauge.builder("tooltune_trainer_tokens_per_second", tokensPerSecond, AtomicLong::get)
                .description("tokens per second of the running job").register(registry);
        duplicatesSkipped = Counter.builder("tooltune_trainer_duplicate_deliveries_skipped")
                .description("deliveries of a job that another worker was training, acknowledged without running").register(registry);
        stepTime = Timer.builder("tooltune_trainer_step").description("optimizer step time").register(registry);
        if (device.isGpu()) {
            Gauge.builder("tooltune_trainer_device_memory_used_bytes", () -> CudaUtils.getGpuMemory(device).getUsed())
                    .description("memory in use on the training GPU").register(registry);
        } else {
            Runtime runtime = Runtime.getRuntime();
            Gauge.builder("tooltune_trainer_device_memory_used_bytes", () -> runtime.totalMemory() - runtime.freeMemory())
                    .description("JVM heap in use (the device is the CPU; native tensor memory is not included)")
                    .register(registry);
        }
    }

    void duplicateSkipped() {
        duplicatesSkipped.increment();
    }

    void step(Duration took, double tokensPerSecondNow) {
        stepTime.record(took);
        tokensPerSecond.set(Math.round(tokensPerSecondNow));
    }
}
