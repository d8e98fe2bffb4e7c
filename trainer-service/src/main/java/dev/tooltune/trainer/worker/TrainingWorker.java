package dev.tooltune.trainer.worker;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.artifacts.ArtifactStore;
import dev.tooltune.artifacts.Manifest;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.evaluation.ToolCallMetrics;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.FailureKind;
import dev.tooltune.contracts.events.JobCancelled;
import dev.tooltune.contracts.events.JobFailed;
import dev.tooltune.contracts.events.JobQueued;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.events.JobSucceeded;
import dev.tooltune.contracts.events.JobValidating;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.model.checkpoint.BaseModels;
import dev.tooltune.model.evaluation.ToolCallEvaluator;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.PeftAdapterFiles;
import dev.tooltune.model.training.CancellationToken;
import dev.tooltune.model.training.ChatExampleEncoder;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.JobTrainingConfig;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingListener;
import dev.tooltune.model.training.TrainingMethod;
import dev.tooltune.model.training.TrainingProgress;
import dev.tooltune.model.training.TrainingResult;
import dev.tooltune.trainer.TrainerSettings;
import dev.tooltune.trainer.claims.JobClaims;
import dev.tooltune.trainer.data.DatasetClient;
import dev.tooltune.trainer.events.AdapterCatalog;
import dev.tooltune.trainer.events.EventPublisher;
import dev.tooltune.trainer.queue.CancelWatcher;
import dev.tooltune.trainer.queue.JobLease;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Runs one training job from its message to its adapter: check, fetch data, train (resuming from the job's last
 * checkpoint in the artifact store), evaluate before and after, publish. Reports every state on training-events.
 * Stateless between jobs: everything a redelivered job needs is in the message, dataset-service and the store.
 */
public final class TrainingWorker {

    private static final Logger LOG = Logger.getLogger(TrainingWorker.class);
    /** How long a job waits for the cancels sent before it to be read (a few ms when the reader keeps up). */
    private static final Duration CANCELS_CATCH_UP = Duration.ofSeconds(60);

    private final TrainerSettings settings;
    private final EventPublisher events;
    private final AdapterCatalog catalog;
    private final CancelWatcher cancels;
    private final ArtifactStore store;
    private final DatasetClient datasets;
    private final BaseModels baseModels;
    private final Device device;
    private final DataType precision;
    private final WorkerMetrics metrics;
    private final JobClaims claims;
    private final String workerId;
    private volatile CancellationToken current;
    private volatile boolean shuttingDown;

    public TrainingWorker(TrainerSettings settings, EventPublisher events, AdapterCatalog catalog, CancelWatcher cancels,
            ArtifactStore store, DatasetClient datasets, BaseModels baseModels, Device device, DataType precision,
            WorkerMetrics metrics, JobClaims claims, String workerId) {
        this.settings = settings;
        this.events = events;
        this.catalog = catalog;
        this.cancels = cancels;
        this.store = store;
        this.datasets = datasets;
        this.baseModels = baseModels;
        this.device = device;
        this.precision = precision;
        this.metrics = metrics;
        this.claims = claims;
        this.workerId = workerId;
    }

    /** Stops the running job at its next optimizer step with a checkpoint; its record is then released. */
    public void shutdown() {
        shuttingDown = true;
        CancellationToken token = current;
        if (token != null) {
            token.cancel();
        }
    }

    /** The adapter id of a job: the same for every delivery of it, so that a redelivery cannot make a second one. */
    public static String adapterId(String tenantId, String jobId) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest((tenantId + "/" + jobId).getBytes(StandardCharsets.UTF_8));
            return "adp-" + HexFormat.of().formatHex(hash, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public JobLease handle(byte[] message, int delivery) {
        JobCommand command;
        try {
            command = MessageCodec.TRAINING_JOBS.decode(message);
        } catch (RuntimeException e) {
            // no job id to report a failure under: the producer's fault, logged for its operators
            LOG.errorf("skipping a training-jobs record that is not a valid job: %s", e.getMessage());
            return JobLease.ACCEPT;
        }
        if (!(command instanceof TrainingJob job)) {
            LOG.warnf("skipping a training-jobs record of a type this worker does not run: %s", command);
            return JobLease.ACCEPT;
        }
        Path work = Path.of(settings.workDirectory()).resolve(job.jobId() + "-" + UUID.randomUUID());
        // PyTorch's grad mode is per thread and on by default in a new one; DJL switches it off only on the thread
        // that starts the engine, and the optimizer's in-place updates of leaf tensors need it off.
        ai.djl.engine.Engine.getInstance(); // loads the native library first
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        metrics.jobsRunning.incrementAndGet();
        try {
            return run(job, delivery, work);
        } catch (JobFailure failure) {
            LOG.warnf("job %s failed (%s): %s", job.jobId(), failure.kind, failure.getMessage());
            events.event(new JobFailed(eventId(), job.jobId(), job.tenantId(), Instant.now(), failure.kind,
                    clip(failure.getMessage())));
            deleteCheckpoint(job);
            return JobLease.ACCEPT;
        } catch (RuntimeException | IOException | OutOfMemoryError e) {
            if (isOutOfMemory(e)) {
                events.event(new JobFailed(eventId(), job.jobId(), job.tenantId(), Instant.now(), FailureKind.OUT_OF_MEMORY,
                        clip("out of memory on " + device + " (" + e.getMessage() + "): lower batchSize or maxLength, or use qlora")));
                deleteCheckpoint(job);
                return JobLease.ACCEPT;
            }
            if (delivery < settings.deliveryLimit() && !shuttingDown) {
                // A dependency that is restarting (dataset-service after a stack up, the artifact store) must not
                // burn every delivery within seconds: wait before the next try, longer each time (the queue keeps
                // renewing the record's lock meanwhile).
                long pause = Math.min(60_000L, settings.retryBackoff().toMillis() << Math.min(10, delivery - 1));
                LOG.errorf(e, "job %s, delivery %d of %d: internal error, releasing it for another try in %d ms",
                        job.jobId(), delivery, settings.deliveryLimit(), pause);
                pauseBeforeRetry(pause);
                return JobLease.RELEASE;
            }
            LOG.errorf(e, "job %s: internal error on its last delivery (%d)", job.jobId(), delivery);
            events.event(new JobFailed(eventId(), job.jobId(), job.tenantId(), Instant.now(), FailureKind.INTERNAL_ERROR,
                    clip("internal error on delivery " + delivery + " of " + settings.deliveryLimit() + ": " + e)));
            return JobLease.ACCEPT;
        } finally {
            metrics.jobsRunning.decrementAndGet();
            current = null;
            deleteQuietly(work);
        }
    }

    private JobLease run(TrainingJob job, int delivery, Path work) throws JobFailure, IOException {
        // Listen for cancels first: one that arrives while the job is checked or loaded must still stop it.
        CancellationToken cancellation = new CancellationToken();
        current = cancellation;
        Consumer<String> onCancel = jobId -> {
            if (jobId.equals(job.jobId())) {
                cancellation.cancel();
            }
        };
        cancels.onCancel(onCancel);
        try {
            return run(job, delivery, work, cancellation);
        } finally {
            cancels.removeListener(onCancel);
        }
    }

    private JobLease run(TrainingJob job, int delivery, Path work, CancellationToken cancellation) throws JobFailure, IOException {
        String adapterId = adapterId(job.tenantId(), job.jobId());
        if (!cancels.awaitCancelsSentBeforeNow(CANCELS_CATCH_UP)) {
            LOG.warnf("job %s: the cancel topic was not read up to now in %d s; a cancel sent just before may stop it"
                    + " only once it started", job.jobId(), CANCELS_CATCH_UP.toSeconds());
        }
        if (cancels.isCancelled(job.jobId())) {
            events.event(new JobCancelled(eventId(), job.jobId(), job.tenantId(), Instant.now(), "cancelled before it started"));
            return JobLease.ACCEPT;
        }
        AdapterCatalog.Snapshot adapters = catalog.read();
        if (adapters.ofJob(job.tenantId(), job.jobId()).isPresent()) {
            LOG.infof("job %s already has adapter %s: not training it again", job.jobId(), adapterId);
            return JobLease.ACCEPT;
        }
        Optional<HeldClaim> held = claim(job, delivery, cancellation);
        if (held.isEmpty()) {
            return JobLease.ACCEPT;
        }
        try (HeldClaim claim = held.get()) {
            return run(job, delivery, work, cancellation, adapterId, claim);
        }
    }

    /**
     * Claims the job for this delivery. When another worker holds the claim, waits until that claim would expire:
     * a live holder renews it meanwhile, and this delivery is a duplicate, acknowledged without a trace (the holder
     * keeps its own record locked until it ends, so nothing is lost if it dies later); a dead holder's claim runs
     * out, and this delivery takes the job over (it resumes from the holder's last checkpoint).
     */
    private Optional<HeldClaim> claim(TrainingJob job, int delivery, CancellationToken cancellation) throws IOException {
        String owner = workerId + "/" + UUID.randomUUID(); // one owner per delivery, so a restarted worker is another
        Duration ttl = settings.lockDuration();
        JobClaims.Claim claim = claims.claim(job.jobId(), owner, ttl);
        if (!claim.granted()) {
            JobClaims.Claim holder = claim;
            long waitMillis = Math.min(Math.max(0, Duration.between(Instant.now(), holder.expiresAt()).toMillis()),
                    ttl.toMillis()) + 1000;
            LOG.infof("job %s (delivery %d): %s holds its claim until %s; waiting %d ms to see whether it renews it",
                    job.jobId(), delivery, holder.owner(), holder.expiresAt(), waitMillis);
            try {
                Thread.sleep(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the claim of job " + job.jobId(), e);
            }
            claim = claims.claim(job.jobId(), owner, ttl);
            if (!claim.granted()) {
                metrics.duplicateSkipped();
                LOG.infof("job %s (delivery %d): duplicate delivery skipped: %s holds its claim (epoch %d, until %s) and trains it",
                        job.jobId(), delivery, claim.owner(), claim.epoch(), claim.expiresAt());
                return Optional.empty();
            }
            LOG.infof("job %s (delivery %d): the claim of %s expired; taken over (epoch %d)", job.jobId(), delivery,
                    holder.owner(), claim.epoch());
        }
        return Optional.of(new HeldClaim(job.jobId(), owner, claim.epoch(), cancellation));
    }

    /**
     * This delivery's claim while it runs: renewed every lockRenewal in the background; if another worker has taken
     * it over meanwhile (this one stalled past its expiry), the job is stopped at its next step, and nothing is
     * published without checking the claim first. Closing releases it.
     */
    private final class HeldClaim implements AutoCloseable {
        private final String jobId;
        private final String owner;
        private final long epoch;
        private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "claim-renewal");
            thread.setDaemon(true);
            return thread;
        });
        private volatile boolean lost;

        HeldClaim(String jobId, String owner, long epoch, CancellationToken cancellation) {
            this.jobId = jobId;
            this.owner = owner;
            this.epoch = epoch;
            long every = settings.lockRenewal().toMillis();
            renewals.scheduleAtFixedRate(() -> {
                if (!stillHeld()) {
                    cancellation.cancel();
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }

        /** Renews the claim now: false when another worker holds it (then stays false). */
        boolean stillHeld() {
            if (lost) {
                return false;
            }
            try {
                JobClaims.Claim claim = claims.claim(jobId, owner, settings.lockDuration());
                if (!claim.granted() || claim.epoch() != epoch) {
                    lost = true;
                    LOG.warnf("job %s: lost its claim to %s (epoch %d): stopping, that worker trains it", jobId,
                            claim.owner(), claim.epoch());
                }
            } catch (IOException | RuntimeException e) {
                // the gateway may be back before the claim expires; if not, another worker takes over and we stop
                LOG.warnf("job %s: could not renew its claim: %s", jobId, e.getMessage());
            }
            return !lost;
        }

        boolean lost() {
            return lost;
        }

        @Override
        public void close() {
            renewals.shutdownNow();
            if (!lost) {
                try {
                    claims.release(jobId, owner);
                } catch (IOException | RuntimeException e) {
                    LOG.warnf("job %s: could not release its claim (it expires by itself): %s", jobId, e.getMessage());
                }
            }
        }
    }

    private JobLease run(TrainingJob job, int delivery, Path work, CancellationToken cancellation, String adapterId,
            HeldClaim claim) throws JobFailure, IOException {
        Optional<Manifest> published = store.manifest(adapterKey(job.tenantId(), adapterId));
        if (published.isPresent() && published.get().metadata().containsKey("adapter")) {
            // stored, but the worker stopped before the adapter record went out: finish the publication only
            Adapter adapter = MessageCodec.ADAPTERS.fromJson(published.get().metadata().get("adapter"));
            if (!claim.stillHeld()) {
                return JobLease.ACCEPT;
            }
            announce(job, adapter, null);
            return JobLease.ACCEPT;
        }

        events.event(new JobValidating(eventId(), job.jobId(), job.tenantId(), Instant.now(),
                delivery > 1 ? "checking the job (delivery " + delivery + ": resuming from its last checkpoint)" : "checking the job"));
        TrainingConfig config;
        try {
            config = JobTrainingConfig.of(job, settings.checkpointEvery());
        } catch (IllegalArgumentException e) {
            throw new JobFailure(FailureKind.INVALID_HYPERPARAMETERS, e.getMessage());
        }
        BaseModels.Resolved base;
        try {
            base = baseModels.resolve(job.baseModel().id(), job.baseModel().revision());
        } catch (RuntimeException e) {
            throw new JobFailure(FailureKind.UNKNOWN_MODEL, "base model '" + job.baseModel().id() + "': " + e.getMessage());
        }
        Data data = fetchData(job, work.resolve("data"));
        events.event(new JobQueued(eventId(), job.jobId(), job.tenantId(), Instant.now(),
                "checked: " + data.train.examples().size() + " training and " + data.eval.examples().size()
                        + " eval examples; loading " + base.id() + " on " + device));

        Path checkpoints = work.resolve("checkpoints");
        restoreCheckpoint(job, checkpoints);
        if (shuttingDown || cancels.isCancelled(job.jobId())) {
            cancellation.cancel();
        }
        try (Gemma3Model model = Gemma3Model.load(base.directory(), precision, device)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            if (config.method() == TrainingMethod.QLORA) {
                lm.quantizeProjections();
            }
            GemmaTokenizer tokenizer = Files.isRegularFile(base.directory().resolve("tokenizer.json"))
                    ? GemmaTokenizer.load(base.directory().resolve("tokenizer.json")) : GemmaTokenizer.loadDefault();
            ChatExampleEncoder.Encoded train = encode(tokenizer, data.trainFile, "training data");
            ChatExampleEncoder.Encoded eval = data.evalFile == null ? new ChatExampleEncoder.Encoded(List.of(), List.of())
                    : encode(tokenizer, data.evalFile, "eval data");
            Trainer trainer;
            try {
                trainer = new Trainer(lm, config, train.encoded(), eval.encoded(), checkpoints);
            } catch (IllegalArgumentException e) {
                throw new JobFailure(FailureKind.INVALID_DATASET, e.getMessage());
            }
            events.event(new JobQueued(eventId(), job.jobId(), job.tenantId(), Instant.now(), trainer.plan()));
            try (trainer) {
                Map<String, Double> scores = new LinkedHashMap<>();
                List<ChatExample> evalExamples = eval.examples().subList(0, Math.min(eval.examples().size(), settings.evalExamples()));
                if (!eval.encoded().isEmpty()) {
                    scores.put("eval_loss_before", trainer.evalLoss());
                }
                toolCallMetrics(model, tokenizer, evalExamples, "before", scores);

                ProgressReporter progress = new ProgressReporter(job);
                TrainingResult result = trainer.run(progress, cancellation);
                switch (result.status()) {
                    case CANCELLED -> {
                        if (claim.lost()) {
                            LOG.infof("job %s stopped at step %d: another worker holds its claim and reports it", job.jobId(), result.steps());
                            return JobLease.ACCEPT;
                        }
                        if (shuttingDown && !cancels.isCancelled(job.jobId())) {
                            LOG.infof("job %s stopped at step %d for shutdown; checkpoint stored, releasing it", job.jobId(), result.steps());
                            return JobLease.RELEASE;
                        }
                        events.event(new JobCancelled(eventId(), job.jobId(), job.tenantId(), Instant.now(),
                                result.steps() == 0 ? "cancelled before it started training (0 of " + trainer.totalSteps() + " steps)"
                                        : "cancelled at step " + result.steps() + " of " + trainer.totalSteps()));
                        deleteCheckpoint(job);
                        return JobLease.ACCEPT;
                    }
                    case FAILED -> throw new JobFailure(FailureKind.TRAINING_DIVERGED, "the loss was not finite for "
                            + config.divergencePatience() + " optimizer steps in a row (last at step " + result.steps()
                            + "): lower learningRate (was " + config.learningRate() + ") or raise warmupSteps");
                    case COMPLETED -> { }
                }
                if (!eval.encoded().isEmpty()) {
                    scores.put("eval_loss_after", result.lastEvalLoss());
                }
                scores.put("train_loss", result.lastLoss());
                toolCallMetrics(model, tokenizer, evalExamples, "after", scores);
                scores.values().removeIf(v -> !Double.isFinite(v));

                Path out = work.resolve("adapter");
                if (config.method() == TrainingMethod.FULL) {
                    model.save(out);
                } else {
                    PeftAdapterFiles.save(trainer.adapter(), out, base.id());
                }
                int version = catalog.read().nextVersion(job.tenantId(), job.adapterName());
                long trainedTokens = train.encoded().stream().mapToLong(e -> Math.min(e.length(), config.maxLength())).sum()
                        * config.epochs();
                String weights = config.method() == TrainingMethod.FULL ? "model.safetensors" : PeftAdapterFiles.WEIGHTS_FILE;
                Adapter adapter = new Adapter(adapterId, job.adapterName(), version, job.tenantId(), job.jobId(),
                        new BaseModel(job.baseModel().id(), base.revision()), job.method(),
                        store.uriOf(adapterKey(job.tenantId(), adapterId)).toString(), Manifest.sha256(out.resolve(weights)),
                        Files.size(out.resolve(weights)), scores, Instant.now());
                Map<String, String> metadata = new LinkedHashMap<>();
                metadata.put("job", job.jobId());
                metadata.put("tenant", job.tenantId());
                metadata.put("baseModel", job.baseModel().id());
                metadata.put("baseModelRevision", base.revision());
                metadata.put("dataset", job.trainingData().datasetId() + "@" + job.trainingData().version());
                metadata.put("trainingJob", MessageCodec.TRAINING_JOBS.toJson(job));
                metadata.put("metrics", scores.toString());
                metadata.put("trainedTokens", String.valueOf(trainedTokens));
                metadata.put("adapter", MessageCodec.ADAPTERS.toJson(adapter));
                if (!claim.stillHeld()) { // fenced: a worker that took the job over publishes it, not this one
                    return JobLease.ACCEPT;
                }
                store.publish(adapterKey(job.tenantId(), adapterId), out, metadata);
                announce(job, adapter, trainedTokens);
                deleteCheckpoint(job);
                return JobLease.ACCEPT;
            }
        }
    }

    private void announce(TrainingJob job, Adapter adapter, Long trainedTokens) {
        events.adapter(adapter);
        events.event(new JobSucceeded(eventId(), job.jobId(), job.tenantId(), Instant.now(), adapter.adapterId(),
                adapter.name(), adapter.version(), trainedTokens, adapter.metrics()));
        LOG.infof("job %s succeeded: adapter %s (%s version %d)", job.jobId(), adapter.adapterId(), adapter.name(), adapter.version());
    }

    private void toolCallMetrics(Gemma3Model model, GemmaTokenizer tokenizer, List<ChatExample> examples, String when,
            Map<String, Double> scores) {
        if (examples.isEmpty() || settings.evalMaxNewTokens() == 0) {
            return;
        }
        ToolCallMetrics m = new ToolCallEvaluator(model, tokenizer, settings.evalMaxNewTokens(), 4).evaluate(examples).metrics();
        scores.put("tool_call_exact_match_" + when, m.exactMatch());
        scores.put("tool_call_function_name_accuracy_" + when, m.functionNameAccuracy());
        scores.put("tool_call_argument_accuracy_" + when, m.argumentAccuracy());
        scores.put("tool_call_json_validity_" + when, m.jsonValidityRate());
        scores.put("tool_call_abstention_accuracy_" + when, m.abstentionAccuracy());
    }

    // ---- data ----

    private record Data(Path trainFile, Path evalFile, ChatExampleEncoder.Encoded train, ChatExampleEncoder.Encoded eval) {}

    private Data fetchData(TrainingJob job, Path dir) throws JobFailure, IOException {
        try {
            var t = job.trainingData();
            datasets.requireFrozen(job.tenantId(), t.datasetId(), t.version());
            Path train;
            Path eval = null;
            if (job.validationData() != null) {
                var v = job.validationData();
                datasets.requireFrozen(job.tenantId(), v.datasetId(), v.version());
                train = datasets.export(job.tenantId(), t.datasetId(), t.version(), null, 0, 0, dir.resolve("train.jsonl"));
                eval = datasets.export(job.tenantId(), v.datasetId(), v.version(), null, 0, 0, dir.resolve("eval.jsonl"));
            } else if (job.evalRatioOrZero() > 0) {
                train = datasets.export(job.tenantId(), t.datasetId(), t.version(), "train", job.splitSeedOrDefault(),
                        job.evalRatioOrZero(), dir.resolve("train.jsonl"));
                eval = datasets.export(job.tenantId(), t.datasetId(), t.version(), "eval", job.splitSeedOrDefault(),
                        job.evalRatioOrZero(), dir.resolve("eval.jsonl"));
            } else {
                train = datasets.export(job.tenantId(), t.datasetId(), t.version(), null, 0, 0, dir.resolve("train.jsonl"));
            }
            // counted here without a tokenizer, so that a bad file fails before the model is loaded
            ChatExampleEncoder.Encoded trainCount = countLines(train);
            if (trainCount.examples().isEmpty()) {
                throw new JobFailure(FailureKind.INVALID_DATASET, "dataset " + t.datasetId() + " version " + t.version()
                        + " has no training examples");
            }
            return new Data(train, eval, trainCount, eval == null ? new ChatExampleEncoder.Encoded(List.of(), List.of()) : countLines(eval));
        } catch (DatasetClient.DatasetException e) {
            throw new JobFailure(FailureKind.INVALID_DATASET, e.getMessage());
        }
    }

    private static ChatExampleEncoder.Encoded countLines(Path file) throws IOException {
        try (var lines = Files.lines(file)) {
            int n = (int) lines.filter(l -> !l.isBlank()).count();
            return new ChatExampleEncoder.Encoded(java.util.Collections.nCopies(n, null), List.of());
        }
    }

    private static ChatExampleEncoder.Encoded encode(GemmaTokenizer tokenizer, Path file, String what) throws JobFailure, IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new ChatExampleEncoder(tokenizer).readJsonl(reader, what, Integer.MAX_VALUE);
        } catch (IllegalArgumentException e) {
            throw new JobFailure(FailureKind.INVALID_DATASET, e.getMessage());
        }
    }

    // ---- checkpoints in the artifact store ----

    static String adapterKey(String tenantId, String adapterId) {
        return "adapters/" + tenantId + "/" + adapterId;
    }

    static String checkpointKey(TrainingJob job) {
        return "checkpoints/" + job.tenantId() + "/" + job.jobId();
    }

    private void restoreCheckpoint(TrainingJob job, Path checkpoints) throws IOException {
        Optional<Manifest> manifest = store.manifest(checkpointKey(job));
        if (manifest.isEmpty()) {
            return;
        }
        String name = manifest.get().metadata().getOrDefault("checkpoint", "checkpoint-resumed");
        store.fetch(store.uriOf(checkpointKey(job)), checkpoints.resolve(name));
        Files.writeString(checkpoints.resolve("latest"), name);
        LOG.infof("job %s: resuming from %s", job.jobId(), name);
    }

    private void pauseBeforeRetry(long millis) {
        long until = System.nanoTime() + millis * 1_000_000L;
        while (!shuttingDown && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(250L, Math.max(1L, (until - System.nanoTime()) / 1_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void deleteCheckpoint(TrainingJob job) {
        try {
            store.delete(checkpointKey(job));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("job %s: could not delete its checkpoint: %s", job.jobId(), e.getMessage());
        }
    }

    /** Running events at most once per progressInterval (and on the first and last step); checkpoints to the store. */
    private final class ProgressReporter implements TrainingListener {
        private final TrainingJob job;
        private long lastEventNanos;
        private long lastStepNanos = System.nanoTime();
        private Double pendingEvalLoss;

        ProgressReporter(TrainingJob job) {
            this.job = job;
        }

        @Override
        public void onStep(TrainingProgress p) {
            long now = System.nanoTime();
            metrics.step(java.time.Duration.ofNanos(now - lastStepNanos), p.tokensPerSecond());
            lastStepNanos = now;
            boolean due = now - lastEventNanos >= settings.progressInterval().toNanos() || p.step() == 1
                    || p.step() == p.totalSteps();
            if (due) {
                publish(p);
                lastEventNanos = now;
            }
        }

        @Override
        public void onEvalLoss(long step, double evalLoss) {
            pendingEvalLoss = Double.isFinite(evalLoss) ? evalLoss : null;
        }

        private void publish(TrainingProgress p) {
            events.event(new JobRunning(eventId(), job.jobId(), job.tenantId(), Instant.now(), p.step(), p.totalSteps(),
                    p.epoch(), Double.isFinite(p.loss()) ? p.loss() : null, pendingEvalLoss, p.learningRate(),
                    p.tokensPerSecond(), p.eta().toSeconds()));
            pendingEvalLoss = null;
        }

        @Override
        public void onCheckpoint(long step, Path directory) {
            try {
                store.publish(checkpointKey(job), directory, Map.of("job", job.jobId(), "tenant", job.tenantId(),
                        "checkpoint", directory.getFileName().toString(), "step", String.valueOf(step)));
                LOG.infof("job %s: checkpoint at step %d stored", job.jobId(), step);
            } catch (IOException e) {
                throw new UncheckedIOException("could not store the checkpoint of step " + step, e);
            }
        }
    }

    // ---- helpers ----

    private static boolean isOutOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
            if (t instanceof EngineException && t.getMessage() != null && t.getMessage().toLowerCase().contains("out of memory")) {
                return true;
            }
        }
        return false;
    }

    private static String eventId() {
        return UUID.randomUUID().toString();
    }

    private static String clip(String message) {
        return message == null ? "no details" : message.length() > 2000 ? message.substring(0, 2000) + "..." : message;
    }

    private static void deleteQuietly(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warnf("could not delete %s: %s", path, e.getMessage());
        }
    }
}
