package dev.tooltune.trainer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.artifacts.ArtifactStore;
import dev.tooltune.artifacts.ArtifactStores;
import dev.tooltune.model.checkpoint.BaseModels;
import dev.tooltune.trainer.claims.JobClaims;
import dev.tooltune.trainer.data.DatasetClient;
import dev.tooltune.trainer.events.AdapterCatalog;
import dev.tooltune.trainer.events.EventPublisher;
import dev.tooltune.trainer.queue.CancelWatcher;
import dev.tooltune.trainer.queue.JobQueue;
import dev.tooltune.trainer.worker.TrainingWorker;
import dev.tooltune.trainer.worker.WorkerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * Starts the worker: one thread takes jobs from the queue and runs them one at a time. On shutdown the running
 * job stops at its next optimizer step, its checkpoint goes to the store and its record is released to the group.
 */
@ApplicationScoped
public class WorkerLifecycle {

    private static final Logger LOG = Logger.getLogger(WorkerLifecycle.class);

    private final TrainerSettings settings;
    private final MeterRegistry registry;
    private final EventPublisher events;
    private final CancelWatcher cancels;
    private final AdapterCatalog catalog;
    private final DatasetClient datasets;
    private final JobClaims claims;
    private ArtifactStore store;
    private JobQueue queue;
    private TrainingWorker worker;
    private Thread thread;
    private volatile RuntimeException queueFailure;

    WorkerLifecycle(TrainerSettings settings, MeterRegistry registry, EventPublisher events, CancelWatcher cancels,
            AdapterCatalog catalog, DatasetClient datasets, JobClaims claims) {
        this.settings = settings;
        this.registry = registry;
        this.events = events;
        this.cancels = cancels;
        this.catalog = catalog;
        this.datasets = datasets;
        this.claims = claims;
    }

    void start(@Observes StartupEvent startup) {
        Device device = device(settings.device());
        DataType precision = switch (settings.precision().toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "f32" -> DataType.FLOAT32;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            default -> throw new IllegalArgumentException("tooltune.trainer.precision must be float32 or bfloat16, got "
                    + settings.precision());
        };
        store = artifactStore(settings.artifacts());
        if (settings.configureGroup()) {
            JobQueue.configureGroup(settings);
        }
        String clientId = "trainer-" + UUID.randomUUID().toString().substring(0, 8);
        worker = new TrainingWorker(settings, events, catalog, cancels, store, datasets,
                BaseModels.fromEnvironment(), device, precision, new WorkerMetrics(registry, device), claims,
                clientId);
        queue = new JobQueue(settings, clientId);
        // Jobs run on one thread of their own: PyTorch's grad mode is per thread (see TrainingWorker.handle), and
        // the queue thread stays free to renew the job's lock.
        ExecutorService jobThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "training-job"));
        thread = new Thread(() -> {
            try {
                queue.run((record, delivery) -> CompletableFuture.supplyAsync(() -> worker.handle(record.value(), delivery),
                        jobThread), settings.stopAfterJobs());
            } catch (RuntimeException e) {
                queueFailure = e;
                LOG.error("the job queue stopped; liveness now says DOWN so that the worker is restarted", e);
            } finally {
                queue.close();
                jobThread.shutdown();
            }
            if (settings.stopAfterJobs() > 0) {
                Quarkus.asyncExit();
            }
        }, "job-queue");
        thread.start();
        LOG.infof("trainer worker %s started: device %s, %s, store %s, share group %s on %s", clientId, device, precision,
                store.uriOf("x").resolve("."), settings.group(), settings.topics().jobs());
    }

    void stop(@Observes ShutdownEvent shutdown) {
        if (queue == null) {
            return;
        }
        LOG.info("shutting down: stopping the running job at its next step, with a checkpoint");
        queue.stop();
        worker.shutdown();
        try {
            thread.join(120_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Why the job queue stopped by itself (it only stops on shutdown otherwise); empty while it takes jobs. */
    public Optional<RuntimeException> queueFailure() {
        return Optional.ofNullable(queueFailure);
    }

    ArtifactStore store() {
        return store;
    }

    static ArtifactStore artifactStore(String location) {
        return ArtifactStores.open(location, "tooltune.trainer.artifacts (tooltune.artifacts.uri)");
    }

    static Device device(String setting) {
        String s = setting.toLowerCase(Locale.ROOT);
        if (s.equals("auto")) {
            return Engine.getInstance().defaultDevice();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu")) {
            return Device.gpu();
        }
        if (s.startsWith("gpu:")) {
            return Device.gpu(Integer.parseInt(s.substring(4)));
        }
        throw new IllegalArgumentException("tooltune.trainer.device must be auto, cpu, gpu or gpu:N, got " + setting);
    }
}
