package dev.tooltune.model.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.quant.Nf4Linear;
import dev.tooltune.model.layers.Projection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Supervised fine-tuning of a causal LM on tokenized conversations: LoRA, QLoRA (the caller quantises the
 * base first, see {@link dev.tooltune.model.quant.Nf4Quantizer}) or full.
 *
 * <p>Each optimizer step takes {@code gradientAccumulation} micro-batches; the loss of every micro-batch is
 * normalised by the trained weight of the whole step, so accumulation gives the same gradient as one big
 * batch. Data order (per epoch), LoRA init and dropout (re-seeded per step) depend only on the seed and
 * the step, so a run resumed from a checkpoint continues exactly as the uninterrupted run would.
 */
public final class Trainer implements AutoCloseable {

    private static final String LATEST = "latest";
    private static final String STATE_FILE = "state.json";
    private static final com.fasterxml.jackson.databind.ObjectMapper STATE_JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * What a checkpoint says about the run besides its tensors ({@code state.json}).
     *
     * @param step       optimizer steps done when it was written; a resumed run continues with the next one
     * @param totalSteps optimizer steps of the whole run
     */
    public record CheckpointState(long step, long totalSteps, TrainingMethod method, long seed) {}

    private final CausalLm model;
    private final TrainingConfig config;
    private final List<EncodedExample> train;
    private final List<EncodedExample> eval;
    private final TruncationReport truncation;
    private final Path checkpointDirectory;
    private final LoraAdapter adapter;
    private final List<NDArray> parameters;
    private final AdamW optimizer;
    private final TokenCrossEntropy loss;
    private final long stepsPerEpoch;
    private final long totalSteps;
    private final LearningRateSchedule schedule;

    /**
     * @param checkpointDirectory where checkpoints go and where a run resumes from (its {@code latest}); may be null
     */
    public Trainer(CausalLm model, TrainingConfig config, List<EncodedExample> train, List<EncodedExample> eval,
            Path checkpointDirectory) {
        this.model = model;
        this.config = config;
        TruncationReport.Result truncated = TruncationReport.apply(train, config.maxLength());
        if (truncated.examples().isEmpty()) {
            throw new IllegalArgumentException("no training example has an assistant token to train on within max length "
                    + config.maxLength() + " (" + truncated.report() + ")");
        }
        this.train = truncated.examples();
        this.truncation = truncated.report();
        this.eval = eval == null ? List.of() : TruncationReport.apply(eval, config.maxLength()).examples();
        this.checkpointDirectory = checkpointDirectory;
        this.loss = new TokenCrossEntropy(config.lossChunk());

        switch (config.method()) {
            case LORA, QLORA -> {
                boolean quantised = model.projections().stream().anyMatch(p -> p.get() instanceof Nf4Linear);
                if (config.method() == TrainingMethod.QLORA && !quantised) {
                    throw new IllegalArgumentException("method qlora needs the base projections quantised to NF4 first (Nf4Quantizer)");
                }
                this.adapter = LoraAdapter.create(model.manager(), config.lora(), model.projections(), config.seed());
                adapter.attach();
                adapter.requireGradients();
                // QLoRA exists to fit small cards: keep one layer's activations at a time (native library only)
                model.activationCheckpointing(config.method() == TrainingMethod.QLORA);
                this.parameters = adapter.parameters();
            }
            case FULL -> {
                for (Projection projection : model.projections()) {
                    if (projection.get() instanceof Nf4Linear) {
                        throw new IllegalArgumentException("full fine-tuning needs dense weights, but " + projection.name() + " is NF4");
                    }
                }
                this.adapter = null;
                this.parameters = model.parameters();
                for (NDArray parameter : parameters) {
                    parameter.setRequiresGradient(true);
                }
            }
            default -> throw new IllegalStateException();
        }
        this.optimizer = new AdamW(model.manager(), parameters, TrainingConfig.ADAM_BETA1, TrainingConfig.ADAM_BETA2,
                TrainingConfig.ADAM_EPSILON, config.weightDecay());
        long batches = batchesForEpoch(0).size();
        this.stepsPerEpoch = (batches + config.gradientAccumulation() - 1) / config.gradientAccumulation();
        this.totalSteps = stepsPerEpoch * config.epochs();
        this.schedule = new LearningRateSchedule(config.learningRate(), Math.min(config.warmupSteps(), totalSteps),
                totalSteps, config.decay());
    }

    public long totalSteps() {
        return totalSteps;
    }

    public TruncationReport truncation() {
        return truncation;
    }

    /** The trained adapter (LoRA and QLoRA), attached to the model; null for full fine-tuning. */
    public LoraAdapter adapter() {
        return adapter;
    }

    public List<NDArray> parameters() {
        return Collections.unmodifiableList(parameters);
    }

    /** Trains to the end or until cancelled, resuming from the latest checkpoint if there is one. */
    public TrainingResult run(TrainingListener listener, CancellationToken cancellation) {
        listener = listener == null ? TrainingListener.NONE : listener;
        cancellation = cancellation == null ? new CancellationToken() : cancellation;
        listener.onTruncation(truncation);
        long start = System.nanoTime();
        long step = resume();
        Path lastCheckpoint = null;
        double lastLoss = Double.NaN;
        double lastEval = Double.NaN;
        long tokens = 0;
        long startStep = step;
        int skippedSteps = 0;
        int nonFiniteInARow = 0;
        int cachedEpoch = -1;
        List<Batch> batches = List.of();
        while (step < totalSteps) {
            if (cancellation.isCancelled()) {
                if (checkpointDirectory != null) {
                    lastCheckpoint = checkpoint(step);
                    listener.onCheckpoint(step, lastCheckpoint);
                }
                return new TrainingResult(TrainingResult.Status.CANCELLED, step, lastLoss, lastEval, truncation,
                        lastCheckpoint, Duration.ofNanos(System.nanoTime() - start), skippedSteps);
            }
            int epoch = (int) (step / stepsPerEpoch);
            if (epoch != cachedEpoch) {
                batches = batchesForEpoch(epoch);
                cachedEpoch = epoch;
            }
            int first = (int) ((step % stepsPerEpoch) * config.gradientAccumulation());
            List<Batch> group = batches.subList(first, Math.min(batches.size(), first + config.gradientAccumulation()));
            double normaliser = 0;
            for (Batch batch : group) {
                normaliser += batch.trainedWeight();
                tokens += batch.realTokens();
            }
            Engine.getInstance().setRandomSeed((int) (config.seed() * 1_000_003L + step));
            double lossSum = 0;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (Batch batch : group) {
                    try (NDScope scope = new NDScope(); NDManager scratch = model.manager().newSubManager()) {
                        NDArray hidden = forward(scratch, batch, true);
                        lossSum += loss.backward(collector, hidden, batch, model.outputEmbedding(),
                                model.finalLogitSoftcapping(), normaliser);
                    }
                }
            }
            double gradientNorm = GradientClipping.clipGlobalNorm(parameters, config.maxGradNorm());
            double learningRate = schedule.at(step);
            boolean finite = Double.isFinite(gradientNorm) && Double.isFinite(lossSum);
            if (finite) {
                optimizer.step(learningRate);
                nonFiniteInARow = 0;
            } else {
                // one bad batch must not poison the weights: the update is skipped and counted, as AMP does;
                // several in a row mean the run diverged, and going on would only burn device time
                skippedSteps++;
                nonFiniteInARow++;
            }
            optimizer.zeroGradients();
            // autocast's cached bf16 copies of the fp32 adapter weights predate this step's update
            dev.tooltune.model.kernels.Kernels.clearAutocastCache();
            step++;
            lastLoss = lossSum / normaliser;
            if (config.divergencePatience() > 0 && nonFiniteInARow >= config.divergencePatience()) {
                return new TrainingResult(TrainingResult.Status.FAILED, step, lastLoss, lastEval, truncation,
                        lastCheckpoint, Duration.ofNanos(System.nanoTime() - start), skippedSteps);
            }

            double seconds = (System.nanoTime() - start) / 1e9;
            long done = step - startStep;
            Duration eta = Duration.ofMillis((long) (seconds / done * (totalSteps - step) * 1000));
            listener.onStep(new TrainingProgress(step, totalSteps, (double) step / stepsPerEpoch, lastLoss, learningRate,
                    gradientNorm, tokens / Math.max(seconds, 1e-9), eta, tokens));
            if (!eval.isEmpty() && ((config.evalEvery() > 0 && step % config.evalEvery() == 0) || step == totalSteps)) {
                lastEval = evalLoss();
                listener.onEvalLoss(step, lastEval);
            }
            if (checkpointDirectory != null && config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                lastCheckpoint = checkpoint(step);
                listener.onCheckpoint(step, lastCheckpoint);
            }
        }
        return new TrainingResult(TrainingResult.Status.COMPLETED, step, lastLoss, lastEval, truncation, lastCheckpoint,
                Duration.ofNanos(System.nanoTime() - start), skippedSteps);
    }

    /** Mean weighted loss per trained token over the eval set (padded batches, no gradients, no dropout). */
    public double evalLoss() {
        return meanLoss(eval);
    }

    /** Mean weighted loss per trained token of any examples under the current weights. */
    public double meanLoss(List<EncodedExample> examples) {
        double total = 0;
        double weight = 0;
        for (int start = 0; start < examples.size(); start += config.batchSize()) {
            Batch batch = Batch.padded(examples.subList(start, Math.min(examples.size(), start + config.batchSize())));
            try (NDScope scope = new NDScope(); NDManager scratch = model.manager().newSubManager()) {
                NDArray hidden = forward(scratch, batch, false);
                double[] sums = loss.evaluate(hidden, batch, model.outputEmbedding(), model.finalLogitSoftcapping());
                total += sums[0];
                weight += sums[1];
            }
        }
        return weight == 0 ? Double.NaN : total / weight;
    }

    private NDArray forward(NDManager scratch, Batch batch, boolean training) {
        Shape shape = new Shape(batch.rows(), batch.length());
        NDArray ids = TokenCrossEntropy.owned(scratch.create(batch.inputIds(), shape));
        NDArray positions = TokenCrossEntropy.owned(scratch.create(batch.positions(), shape));
        NDArray segments = TokenCrossEntropy.owned(scratch.create(batch.segmentIds(), shape));
        return model.hiddenStates(ids, positions, segments, training);
    }

    /**
     * The epoch's batches: examples shuffled by (seed, epoch), then {@code batchSize} examples per micro-batch, as
     * OpenAI counts a batch (so an epoch is ceil(examples / batchSize) micro-batches whatever their length); with
     * packing, the examples of one micro-batch share rows of {@code maxLength} tokens instead of each padding a row.
     */
    List<Batch> batchesForEpoch(int epoch) {
        List<EncodedExample> order = new ArrayList<>(train);
        Collections.shuffle(order, new Random(config.seed() * 7919L + epoch));
        List<Batch> out = new ArrayList<>();
        for (int start = 0; start < order.size(); start += config.batchSize()) {
            List<EncodedExample> examples = order.subList(start, Math.min(order.size(), start + config.batchSize()));
            out.add(config.packing() ? Batch.packed(examples, config.maxLength(), examples.size()).get(0)
                    : Batch.padded(examples));
        }
        return out;
    }

    /** Micro-batches of one epoch: ceil(examples / batchSize), the examples left after truncation. */
    public long batchesPerEpoch() {
        return (train.size() + config.batchSize() - 1) / config.batchSize();
    }

    /**
     * What the run will do, in words for the job's events before the first step: examples cut at maxLength and the
     * step count, ceil(examples / batchSize) per epoch as OpenAI counts it.
     */
    public String plan() {
        TruncationReport cut = truncation;
        StringBuilder text = new StringBuilder();
        if (cut.truncatedExamples() > 0) {
            text.append(String.format("%d of %d training examples were longer than max_length %d and were cut to it "
                    + "(%d tokens, %.0f trained tokens dropped; the longest had %d tokens)", cut.truncatedExamples(),
                    cut.examples(), cut.maxLength(), cut.droppedTokens(), cut.droppedTrainedWeight(),
                    cut.longestExample()));
            if (!cut.skippedExamples().isEmpty()) {
                text.append(String.format("; %d were skipped with nothing left to train on (examples %s%s)",
                        cut.skippedExamples().size(), cut.skippedExamples().subList(0,
                                Math.min(10, cut.skippedExamples().size())), cut.skippedExamples().size() > 10
                                ? ", ..." : ""));
            }
            text.append(". ");
        }
        text.append(String.format("Training on %d examples, batch size %d%s: %d steps per epoch x %d epochs = %d "
                        + "steps", train.size(), config.batchSize(), config.packing() ? " (packed into rows of "
                        + config.maxLength() + " tokens)" : "", stepsPerEpoch, config.epochs(), totalSteps));
        if (config.gradientAccumulation() > 1) {
            text.append(String.format(" (%d micro-batches per epoch, %d per step)", batchesPerEpoch(),
                    config.gradientAccumulation()));
        }
        return text.toString();
    }

    /** Optimizer steps of one epoch: ceil(micro-batches / gradientAccumulation). */
    public long stepsPerEpoch() {
        return stepsPerEpoch;
    }

    // ---- checkpoints: trainable tensors, optimizer moments, step ----

    private Path checkpoint(long step) {
        try {
            Files.createDirectories(checkpointDirectory);
            String name = String.format("checkpoint-%08d", step);
            Path target = checkpointDirectory.resolve(name);
            Path temporary = checkpointDirectory.resolve(name + ".partial");
            Files.createDirectories(temporary);
            try (OutputStream out = Files.newOutputStream(temporary.resolve("trainable.ndlist"))) {
                new NDList(parameters).encode(out);
            }
            try (OutputStream out = Files.newOutputStream(temporary.resolve("optimizer.ndlist"))) {
                optimizer.state().encode(out);
            }
            STATE_JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.resolve(STATE_FILE).toFile(),
                    new CheckpointState(step, totalSteps, config.method(), config.seed()));
            if (Files.exists(target)) {
                deleteRecursively(target);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            Path latest = checkpointDirectory.resolve(LATEST + ".tmp");
            Files.writeString(latest, name, StandardCharsets.UTF_8);
            Files.move(latest, checkpointDirectory.resolve(LATEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write checkpoint for step " + step + " under " + checkpointDirectory, e);
        }
    }

    /** Loads the latest checkpoint if any; returns the step to continue from. */
    private long resume() {
        if (checkpointDirectory == null || !Files.exists(checkpointDirectory.resolve(LATEST))) {
            return 0;
        }
        try {
            Path directory = checkpointDirectory.resolve(Files.readString(checkpointDirectory.resolve(LATEST)).trim());
            CheckpointState state = STATE_JSON.readValue(directory.resolve(STATE_FILE).toFile(), CheckpointState.class);
            if (state.method() != config.method() || state.seed() != config.seed()) {
                throw new IllegalStateException("checkpoint " + directory + " was written by a " + state.method()
                        + " run with seed " + state.seed() + ", this run is " + config.method() + " with seed " + config.seed());
            }
            long step = state.step();
            try (NDManager scratch = model.manager().newSubManager()) {
                NDList saved;
                try (InputStream in = Files.newInputStream(directory.resolve("trainable.ndlist"))) {
                    saved = NDList.decode(scratch, in);
                }
                if (saved.size() != parameters.size()) {
                    throw new IllegalStateException("checkpoint " + directory + " holds " + saved.size()
                            + " tensors, this run trains " + parameters.size() + ": different method or LoRA config");
                }
                for (int i = 0; i < parameters.size(); i++) {
                    if (!saved.get(i).getShape().equals(parameters.get(i).getShape())) {
                        throw new IllegalStateException("checkpoint tensor " + i + " has shape " + saved.get(i).getShape()
                                + ", expected " + parameters.get(i).getShape());
                    }
                    AdamW.overwrite(parameters.get(i), saved.get(i));
                }
                NDList moments;
                try (InputStream in = Files.newInputStream(directory.resolve("optimizer.ndlist"))) {
                    moments = NDList.decode(scratch, in);
                }
                optimizer.restore(moments, step);
            }
            return step;
        } catch (IOException e) {
            throw new UncheckedIOException("could not resume from checkpoint under " + checkpointDirectory, e);
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Frees optimizer state; the adapter stays attached to the model (close it to detach). */
    @Override
    public void close() {
        optimizer.close();
    }
}
