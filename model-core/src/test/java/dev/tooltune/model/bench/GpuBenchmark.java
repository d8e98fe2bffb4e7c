package dev.tooltune.model.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.fixtures.RandomFixtures;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.generation.GenerationOptions;
import dev.tooltune.model.generation.GenerationResult;
import dev.tooltune.model.generation.Generator;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.training.CancellationToken;
import dev.tooltune.model.serving.GenerationHandle;
import dev.tooltune.model.serving.GenerationRequest;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import dev.tooltune.model.serving.TokenSink;
import dev.tooltune.model.training.EncodedExample;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.LearningRateSchedule;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingListener;
import dev.tooltune.model.training.TrainingMethod;
import dev.tooltune.model.training.TrainingProgress;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * model-core's side of bench/gpu.sh: one measurement per JVM, printed as one {@code RESULT key=value ...} line
 * that bench/gpu_table.py joins with the transformers + PEFT reference (bench/gpu_reference.py).
 * Random weights of a published configuration (Gemma3Config presets 1b / 4b), random tokens.
 *
 * <pre>
 *   train   PRESET lora|qlora LENGTH BATCH STEPS DEVICE bf16|fp32|tf32 [LOSS_CHUNK]
 *   decode  PRESET DEVICE bf16|fp32 PROMPT NEW_TOKENS BATCH[,BATCH...]
 *   logits  PRESET DEVICE bf16|fp32 FILE      (writes fp32 logits of a fixed random batch)
 *   compare FILE_REFERENCE FILE_OTHER LABEL  (relative L2 error, max abs error, argmax agreement)
 *   qlora-check DEVICE                       (native NF4 and activation checkpointing against the pure paths)
 *   serving PRESET DEVICE bf16 PROMPT NEW STREAMS[,..] ADAPTERS[,..] [ROUNDS]   (the serving engine, closed loop)
 *   serving-check DEVICE                     (mixed-adapter batches vs each request alone, native vs DJL)
 *   train-check DEVICE                       (the native training kernels against the DJL path, see TrainingCheck)
 *   loss-curve PRESET LENGTH BATCH STEPS DEVICE   (bf16 with the training kernels against the fp32 path, per step)
 * </pre>
 * train: {@code TOOLTUNE_TRAINING_KERNELS} picks the native training kernels (default all; {@code none} = the DJL
 * path); {@code TOOLTUNE_PROFILE=FILE} profiles one more step after the timed ones and writes its chrome trace;
 * {@code TOOLTUNE_TRAIN_DATA=FILE} trains on packed real examples (token ids and loss weights, see {@link #readExamples})
 * instead of random full rows, and tokens/s counts their real tokens.
 * DEVICE is cpu or gpu0 (gpu0 = the first GPU). bf16 = bf16 frozen weights + bf16 autocast with fp32 LoRA
 * parameters and optimizer state (needs the native library); tf32 = fp32 weights, TF32 matrix products.
 */
public final class GpuBenchmark {

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        switch (args[0]) {
            case "train" -> train(args);
            case "decode" -> decode(args);
            case "logits" -> logits(args);
            case "compare" -> compare(args);
            case "qlora-check" -> qloraCheck(args);
            case "serving" -> serving(args);
            case "serving-check" -> servingCheck(args);
            case "train-check" -> TrainingCheck.trainCheck(args);
            case "loss-curve" -> TrainingCheck.lossCurve(args);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    static Device device(String name) {
        if (name.equals("cpu")) {
            return Device.cpu();
        }
        if (name.startsWith("gpu")) {
            return Device.gpu(name.length() > 3 ? Integer.parseInt(name.substring(3)) : 0);
        }
        throw new IllegalArgumentException("device " + name + ": expected cpu or gpuN");
    }

    /** Sets the thread's precision mode; returns the weight storage type. */
    static DataType precision(String mode) {
        switch (mode) {
            case "bf16" -> {
                Kernels.autocast(true);
                return DataType.BFLOAT16;
            }
            case "tf32" -> {
                Kernels.tf32(true);
                return DataType.FLOAT32;
            }
            case "fp32" -> {
                if (Kernels.available()) {
                    Kernels.tf32(false);
                }
                return DataType.FLOAT32;
            }
            default -> throw new IllegalArgumentException("precision " + mode + ": expected bf16, tf32 or fp32");
        }
    }

    static void train(String[] args) throws Exception {
        String preset = args[1];
        TrainingMethod method = TrainingMethod.valueOf(args[2].toUpperCase(Locale.ROOT));
        int length = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        Device device = device(args[6]);
        String mode = args[7];
        int lossChunk = args.length > 8 ? Integer.parseInt(args[8]) : 1024;
        Gemma3Config config = Gemma3Config.preset(preset);
        int warmup = 2;
        String profile = System.getenv("TOOLTUNE_PROFILE");
        int profiled = profile == null || profile.isBlank() ? 0 : 1;
        String realData = System.getenv("TOOLTUNE_TRAIN_DATA");
        boolean packed = realData != null && !realData.isBlank();
        List<EncodedExample> data = packed ? readExamples(Path.of(realData))
                : RandomFixtures.rows(config, length, batch * (steps + warmup + profiled));
        LoraConfig lora = new LoraConfig(16, 32, 0.0, Set.of("q_proj", "k_proj", "v_proj", "o_proj"), false);
        TrainingConfig training = TrainingConfig.lora(lora).withMethod(method).withLearningRate(1e-4)
                .withBatching(batch, 1, length, packed).withSchedule(0, LearningRateSchedule.Decay.CONSTANT)
                .withLossChunk(lossChunk).withEpochs(1000);
        Kernels.resetPeak(device);
        DataType weights = precision(mode);
        long start = System.nanoTime();
        try (Gemma3Model model = Gemma3Model.random(config, RandomInit.of(1), weights, device)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            if (method == TrainingMethod.QLORA) {
                lm.quantizeProjections();
            }
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            Kernels.resetPeak(device); // peak from here: weights + training, not the fp32 initialisation
            long[] timedStart = new long[1];
            long[] timedEnd = new long[1];
            double[] lastLoss = new double[1];
            long[] tokensAt = new long[2];
            try (Trainer trainer = new Trainer(lm, training, data, List.of(), null)) {
                CancellationToken stop = new CancellationToken();
                long[] realTokens = new long[1];
                trainer.run(new TrainingListener() {
                    @Override
                    public void onStep(TrainingProgress progress) {
                        long step = progress.step();
                        if (step == warmup) {
                            Kernels.synchronize();
                            timedStart[0] = System.nanoTime();
                            tokensAt[0] = progress.tokens();
                        }
                        if (step == warmup + steps) {
                            Kernels.synchronize();
                            timedEnd[0] = System.nanoTime();
                            tokensAt[1] = progress.tokens();
                            lastLoss[0] = progress.loss();
                            if (profiled == 1) {
                                profile(() -> Kernels.profileStart(device.isGpu()));
                            }
                        }
                        if (step == warmup + steps + profiled) {
                            if (profiled == 1) {
                                Kernels.synchronize();
                                profile(() -> Kernels.profileStop(Path.of(profile)));
                            }
                            stop.cancel();
                        }
                    }
                }, stop);
                double seconds = (timedEnd[0] - timedStart[0]) / 1e9;
                long tokens = tokensAt[1] - tokensAt[0];
                System.out.printf("RESULT kind=train impl=model-core model=%s method=%s precision=%s batch=%d length=%d "
                                + "tokens_per_s=%.1f step_s=%.4f peak_gib=%.2f loss=%.4f load_s=%.1f native=%s kernels=%s data=%s%n",
                        preset, method.name().toLowerCase(Locale.ROOT), mode, batch, length, tokens / seconds,
                        seconds / steps, Kernels.peakAllocatedBytes(device) / 1073741824.0, lastLoss[0], loadSeconds,
                        Kernels.available(), kernelNames(), packed ? "packed-real" : "random-full-rows");
            }
        }
    }

    /** Runs a profiler call; a profiler that cannot start must not cost the measurement (the timed steps are done). */
    static void profile(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException | LinkageError e) { // LinkageError: a library built without training.cc
            System.out.println("profiler: " + e);
        }
    }

    static String kernelNames() {
        Set<dev.tooltune.model.kernels.TrainingKernel> on = Kernels.trainingKernels();
        if (on.isEmpty()) {
            return "none";
        }
        StringBuilder names = new StringBuilder();
        for (dev.tooltune.model.kernels.TrainingKernel kernel : on) {
            names.append(names.length() == 0 ? "" : "+").append(kernel.name().toLowerCase(Locale.ROOT));
        }
        return names.toString();
    }

    /**
     * Tokenized examples, one per line: token ids separated by spaces, a tab, then the loss weight of each token
     * (written on a machine with the tokenizer by {@code TrainingDataExport}; the GPU machine has none); gzipped when
     * the name ends in .gz.
     */
    static List<EncodedExample> readExamples(Path file) throws java.io.IOException {
        List<EncodedExample> out = new ArrayList<>();
        java.io.InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            in = new java.util.zip.GZIPInputStream(in);
        }
        List<String> lines;
        try (java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(in,
                java.nio.charset.StandardCharsets.UTF_8))) {
            lines = reader.lines().toList();
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] halves = line.split("\t");
            String[] ids = halves[0].trim().split(" ");
            String[] weights = halves[1].trim().split(" ");
            int[] tokenIds = new int[ids.length];
            float[] lossWeights = new float[ids.length];
            for (int i = 0; i < ids.length; i++) {
                tokenIds[i] = Integer.parseInt(ids[i]);
                lossWeights[i] = Float.parseFloat(weights[i]);
            }
            out.add(new EncodedExample(tokenIds, lossWeights));
        }
        return out;
    }

    static void decode(String[] args) {
        String preset = args[1];
        Device device = device(args[2]);
        String mode = args[3];
        int promptLength = Integer.parseInt(args[4]);
        int newTokens = Integer.parseInt(args[5]);
        Gemma3Config config = Gemma3Config.preset(preset);
        DataType weights = precision(mode);
        try (Gemma3Model model = Gemma3Model.random(config, RandomInit.of(1), weights, device)) {
            Generator generator = new Generator(model);
            Random random = new Random(2);
            boolean warm = false;
            for (String b : args[6].split(",")) {
                int batch = Integer.parseInt(b);
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    int[] prompt = new int[promptLength];
                    prompt[0] = 2;
                    for (int t = 1; t < promptLength; t++) {
                        prompt[t] = 3 + random.nextInt(config.vocabSize() - 3);
                    }
                    prompts.add(prompt);
                }
                GenerationOptions options = GenerationOptions.greedy(newTokens).withStopTokens(Set.of());
                if (!warm) {
                    generator.generate(prompts, options.withMaxNewTokens(4));
                    warm = true;
                }
                Kernels.resetPeak(device);
                GenerationResult result = generator.generate(prompts, options);
                int generated = result.sequences().stream().mapToInt(s -> s.tokens().length).sum();
                double decodeSeconds = result.decodeNanos() / 1e9;
                System.out.printf("RESULT kind=decode impl=model-core model=%s precision=%s batch=%d prompt=%d new=%d "
                                + "ttft_ms=%.1f decode_tokens_per_s=%.1f per_stream_tokens_per_s=%.1f peak_gib=%.2f native=%s "
                                + "cuda_graphs=%s%n",
                        preset, mode, batch, promptLength, newTokens, result.prefillNanos() / 1e6,
                        (generated - batch) / decodeSeconds, (generated - batch) / decodeSeconds / batch,
                        Kernels.peakAllocatedBytes(device) / 1073741824.0, Kernels.available(),
                        Kernels.available() && !"0".equals(System.getenv("TOOLTUNE_CUDA_GRAPHS")));
            }
        }
    }

    /** Logits of a fixed batch [2, 96] (one row left-padded by 16) as fp32, written as int count + floats. */
    static void logits(String[] args) throws Exception {
        Gemma3Config config = Gemma3Config.preset(args[1]);
        Device device = device(args[2]);
        DataType weights = precision(args[3]);
        int batch = 2;
        int length = 96;
        long[] ids = new long[batch * length];
        long[] positions = new long[batch * length];
        long[] mask = new long[batch * length];
        Random random = new Random(3);
        for (int b = 0; b < batch; b++) {
            int pad = b == 1 ? 16 : 0;
            for (int t = 0; t < length; t++) {
                int at = b * length + t;
                ids[at] = t < pad ? config.padTokenId() : t == pad ? 2 : 3 + random.nextInt(config.vocabSize() - 3);
                positions[at] = Math.max(0, t - pad);
                mask[at] = t < pad ? 0 : 1;
            }
        }
        // weights drawn on the CPU and written once (CUDA's generator draws other numbers than the CPU's), then
        // loaded onto the device in fp32: bf16 runs compute under autocast from the same fp32 weights
        Path checkpoint = Path.of(args[4] + ".checkpoint");
        if (!Files.exists(checkpoint.resolve("model.safetensors"))) {
            Gemma3Model.writeRandomCheckpoint(config, new RandomInit(1, 0.02, 0.1), checkpoint,
                    dev.tooltune.model.checkpoint.StoredType.F32);
        }
        try (Gemma3Model model = Gemma3Model.load(checkpoint, DataType.FLOAT32, device);
             NDManager scope = model.manager().newSubManager()) {
            ModelInput input = ModelInput.of(scope.create(ids, new Shape(batch, length)), scope.create(positions, new Shape(batch, length)))
                    .withKeyMask(scope.create(mask, new Shape(batch, length)));
            NDArray logits = model.forward(input, false).toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false);
            float[] values = logits.toFloatArray();
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[4])))) {
                out.writeInt(values.length);
                for (float v : values) {
                    out.writeFloat(v);
                }
            }
            System.out.printf("logits %s on %s (%s): %d values, native=%s%n", args[1], device, args[3], values.length, Kernels.available());
        }
    }

    static float[] read(Path file) throws Exception {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            float[] values = new float[in.readInt()];
            for (int i = 0; i < values.length; i++) {
                values[i] = in.readFloat();
            }
            return values;
        }
    }

    static void compare(String[] args) throws Exception {
        float[] reference = read(Path.of(args[1]));
        float[] other = read(Path.of(args[2]));
        int vocab = 262144;
        double diff = 0;
        double norm = 0;
        double maxAbs = 0;
        boolean finite = true;
        for (int i = 0; i < reference.length; i++) {
            double d = other[i] - reference[i];
            finite &= Float.isFinite(other[i]);
            diff += d * d;
            norm += (double) reference[i] * reference[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
        }
        int rows = reference.length / vocab;
        int agree = 0;
        for (int r = 0; r < rows; r++) {
            if (argmax(reference, r * vocab, vocab) == argmax(other, r * vocab, vocab)) {
                agree++;
            }
        }
        System.out.printf("RESULT kind=numerics label=%s rel_l2=%.3e max_abs=%.3e argmax_agree=%d/%d finite=%s%n",
                args[3], Math.sqrt(diff / norm), maxAbs, agree, rows, finite);
    }

    static int argmax(float[] values, int from, int count) {
        int best = from;
        for (int i = from + 1; i < from + count; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best - from;
    }

    // ------------------------------------------------------------------------------------------ qlora-check

    /**
     * The native QLoRA pieces against what they replace, on DEVICE (needs the native library): on-device NF4
     * quantisation against the host quantiser (dequantised weights must be identical), the NF4 linear's forward
     * and input gradient against a dense product of the dequantised weight (fp32, TF32 off), and LoRA gradients of
     * a small model with activation checkpointing against without (fp32 and bf16 autocast, LoRA dropout 0.1, so
     * the recomputation must replay the random state). One {@code RESULT kind=check} line each.
     */
    static void qloraCheck(String[] args) {
        if (!Kernels.available()) {
            throw new IllegalStateException("qlora-check needs the native library (" + Kernels.LIBRARY_PROPERTY + ")");
        }
        Device device = device(args[1]);
        Kernels.tf32(false);
        Random random = new Random(11);
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            for (long[] shape : new long[][] {{37, 65}, {1024, 640}}) {
                int n = (int) (shape[0] * shape[1]);
                float[] values = new float[n];
                for (int i = 0; i < n; i++) {
                    values[i] = (float) (random.nextGaussian() * 0.05);
                }
                values[3] = 0f;
                float[] expected = dev.tooltune.model.quant.Nf4Weight.quantize(values, shape[0], shape[1]).dequantize();
                try (NDManager scope = manager.newSubManager()) {
                    NDArray dense = scope.create(values, new Shape(shape[0], shape[1]));
                    dev.tooltune.model.quant.Nf4Linear nf4 = dev.tooltune.model.quant.Nf4Linear.quantize(scope, dense);
                    float[] got = nf4.dequantize(DataType.FLOAT32).toDevice(Device.cpu(), false).toFloatArray();
                    double[] error = errors(expected, got);
                    check("nf4-quantize-device-vs-host-" + shape[0] + "x" + shape[1], error, error[1] == 0);

                    // forward and input gradient: native NF4 linear against x W^T with the dequantised W
                    NDArray weight = nf4.dequantize(DataType.FLOAT32);
                    NDArray x = scope.randomNormal(new Shape(3, 5, shape[1]));
                    NDArray probe = scope.randomNormal(new Shape(3, 5, shape[0]));
                    NDArray xNative = x.duplicate();
                    xNative.setRequiresGradient(true);
                    NDArray xDense = x.duplicate();
                    xDense.setRequiresGradient(true);
                    float[][] outputs = new float[2][];
                    try (ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        NDArray yNative = nf4.forward(xNative, true);
                        NDArray yDense = xDense.matMul(weight.transpose());
                        outputs[0] = yNative.toDevice(Device.cpu(), false).toFloatArray();
                        outputs[1] = yDense.toDevice(Device.cpu(), false).toFloatArray();
                        collector.backward(yNative.mul(probe).sum());
                        collector.backward(yDense.mul(probe).sum());
                    }
                    double[] forward = errors(outputs[1], outputs[0]);
                    check("nf4-linear-forward-fp32-" + shape[0] + "x" + shape[1], forward, forward[0] < 1e-5);
                    double[] gradient = errors(xDense.getGradient().toDevice(Device.cpu(), false).toFloatArray(),
                            xNative.getGradient().toDevice(Device.cpu(), false).toFloatArray());
                    check("nf4-linear-input-grad-fp32-" + shape[0] + "x" + shape[1], gradient, gradient[0] < 1e-5);
                    nf4.close();
                }
            }
        }
        for (String mode : new String[] {"fp32", "bf16"}) {
            Kernels.autocast(mode.equals("bf16"));
            float[][] plain = checkpointGradients(device, false);
            float[][] recomputed = checkpointGradients(device, true);
            double[] error = errors(plain[0], recomputed[0]);
            boolean nonZero = errors(new float[plain[0].length], plain[0])[1] > 0;
            check("lora-grads-checkpointed-vs-not-" + mode + "-dropout0.1", error,
                    nonZero && error[0] < (mode.equals("bf16") ? 1e-2 : 1e-5));
            double[] loss = errors(plain[1], recomputed[1]);
            check("loss-checkpointed-vs-not-" + mode, loss, loss[0] < 1e-6);
            Kernels.autocast(false);
        }
    }

    /** {LoRA gradients concatenated, {loss}} of one forward/backward of a small QLoRA model (fixed seeds). */
    static float[][] checkpointGradients(Device device, boolean checkpointing) {
        Gemma3Config config = RandomFixtures.threeLayers(512);
        try (Gemma3Model model = Gemma3Model.random(config, new RandomInit(3, 0.05, 0.1), DataType.FLOAT32, device)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            lm.quantizeProjections();
            model.setActivationCheckpointing(checkpointing);
            LoraConfig lora = new LoraConfig(8, 16, 0.1, Set.of("q_proj", "k_proj", "v_proj", "o_proj", "down_proj"), false);
            try (dev.tooltune.model.lora.LoraAdapter adapter = dev.tooltune.model.lora.LoraAdapter.create(model.manager(), lora,
                    lm.projections(), 5);
                 NDManager scope = model.manager().newSubManager()) {
                ai.djl.engine.Engine.getInstance().setRandomSeed(9);
                for (NDArray parameter : adapter.parameters()) {
                    parameter.addi(scope.randomNormal(parameter.getShape()).mul(0.05f)); // B starts at zero: make A's gradient non-zero
                }
                adapter.attach();
                adapter.requireGradients();
                int batch = 2;
                int length = 48;
                long[] ids = new long[batch * length];
                long[] positions = new long[batch * length];
                long[] segments = new long[batch * length];
                Random random = new Random(4);
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = 3 + random.nextInt(config.vocabSize() - 3);
                    positions[i] = i % length;
                    segments[i] = 1;
                }
                Shape shape = new Shape(batch, length);
                NDArray probe = scope.randomNormal(new Shape(batch, length, config.hiddenSize()));
                ai.djl.engine.Engine.getInstance().setRandomSeed(21); // the same dropout masks for both runs
                float lossValue;
                try (ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    NDArray hidden = lm.hiddenStates(scope.create(ids, shape), scope.create(positions, shape),
                            scope.create(segments, shape), true);
                    NDArray loss = Kernels.toFloat32(hidden).mul(probe).sum();
                    lossValue = loss.toDevice(Device.cpu(), false).getFloat();
                    collector.backward(loss);
                }
                float[] all = TrainingCheck.gradients(adapter);
                adapter.detach();
                return new float[][] {all, {lossValue}};
            }
        }
    }

    /** {relative L2 of other against reference, max abs difference}. */
    static double[] errors(float[] reference, float[] other) {
        double diff = 0;
        double norm = 0;
        double maxAbs = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = (double) other[i] - reference[i];
            diff += d * d;
            norm += (double) reference[i] * reference[i];
            maxAbs = Math.max(maxAbs, Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.abs(d));
        }
        return new double[] {norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm), maxAbs};
    }

    static void check(String label, double[] error, boolean pass) {
        System.out.printf("RESULT kind=check label=%s rel_l2=%.3e max_abs=%.3e pass=%s%n", label, error[0], error[1], pass);
    }

    // ------------------------------------------------------------------------------------------ serving (issue 20)

    /**
     * The serving engine as inference-service runs it, driven directly: {@code streams} closed-loop streams (each
     * submits its next request when the last one ends), stream i on adapter i mod A (A = 0: the base model),
     * greedy, no stop token, no constraint. One engine per model (128 rows); per cell a warm-up round (CUDA graphs
     * of the cell's batch buckets are captured there), then {@code rounds} measured requests per stream. Prefill
     * chunks of 4096 tokens (-Dbench.prefill.chunk): up to 32 prompts of 128 tokens per prefill step.
     * Prints one RESULT kind=serving line per cell.
     *
     * <pre>serving PRESET DEVICE bf16 PROMPT NEW STREAMS[,..] ADAPTERS[,..] [ROUNDS]</pre>
     */
    static void serving(String[] args) throws Exception {
        String preset = args[1];
        Device device = device(args[2]);
        String mode = args[3];
        int promptLength = Integer.parseInt(args[4]);
        int newTokens = Integer.parseInt(args[5]);
        int[] streamCounts = java.util.Arrays.stream(args[6].split(",")).mapToInt(Integer::parseInt).toArray();
        int[] adapterCounts = java.util.Arrays.stream(args[7].split(",")).mapToInt(Integer::parseInt).toArray();
        int rounds = args.length > 8 ? Integer.parseInt(args[8]) : 2;
        Gemma3Config config = Gemma3Config.preset(preset);
        DataType weights = precision(mode);
        int maxStreams = java.util.Arrays.stream(streamCounts).max().orElse(1);
        int maxAdapters = java.util.Arrays.stream(adapterCounts).max().orElse(0);
        long t0 = System.nanoTime();
        try (Gemma3Model model = Gemma3Model.random(config, RandomInit.of(1), weights, device)) {
            System.out.printf("model %s ready in %.1f s%n", preset, (System.nanoTime() - t0) / 1e9);
            int capacity = promptLength + newTokens;
            ServingConfig serving = ServingConfig.defaults().withMaxRunningSequences(maxStreams)
                    .withMaxSequenceLength(capacity).withPrefixCacheBytes(0).withStopTokens(Set.of())
                    .withPrefillChunkTokens(Integer.getInteger("bench.prefill.chunk", 4096))
                    .withKvCacheBytes((long) (maxStreams * dev.tooltune.model.gemma3.KvCache.bytesFor(config, capacity,
                            model.computeType()) * 1.1));
            Path adapterRoot = Files.createTempDirectory("serving-adapters");
            try (ServingEngine engine = ServingEngine.start(model, serving)) {
                for (int a = 0; a < maxAdapters; a++) {
                    Path dir = RandomFixtures.adapter(model, adapterRoot.resolve("a" + a), 16, Set.copyOf(LoraConfig.GEMMA_MODULES), 100 + a, 0.05);
                    engine.loadAdapter("a" + a, dir);
                }
                Random random = new Random(2);
                for (int streams : streamCounts) {
                    for (int adapters : adapterCounts) {
                        runCell(engine, config, random, streams, adapters, promptLength, newTokens, 1);   // warm-up
                        Kernels.resetPeak(device);
                        Cell cell = runCell(engine, config, random, streams, adapters, promptLength, newTokens, rounds);
                        System.out.printf("RESULT kind=serving impl=model-core path=engine model=%s precision=%s streams=%d "
                                        + "adapters=%d constraint=off prompt=%d new=%d tokens_per_s=%.1f ttft_p50_ms=%.1f "
                                        + "ttft_p99_ms=%.1f itl_p50_ms=%.2f peak_gib=%.2f native=%s "
                                        + "decode_steps=%d%n",
                                preset, mode, streams, adapters, promptLength, newTokens, cell.tokensPerSecond,
                                cell.ttftP50, cell.ttftP99, cell.itlP50, Kernels.peakAllocatedBytes(device) / 1073741824.0,
                                Kernels.available(), engine.stats().decodeSteps());
                    }
                }
            }
        }
    }

    record Cell(double tokensPerSecond, double ttftP50, double ttftP99, double itlP50) {}

    /** {@code streams} closed-loop streams of {@code rounds} requests each; greedy, fixed length. */
    static Cell runCell(ServingEngine engine, Gemma3Config config, Random random, int streams, int adapters,
            int promptLength, int newTokens, int rounds) throws Exception {
        List<Double> ttfts = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Double> gaps = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicLong generated = new java.util.concurrent.atomic.AtomicLong();
        List<java.util.concurrent.CompletableFuture<Void>> done = new ArrayList<>();
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < streams * rounds; i++) {
            int[] prompt = new int[promptLength];
            prompt[0] = 2;
            for (int t = 1; t < promptLength; t++) {
                prompt[t] = 3 + random.nextInt(config.vocabSize() - 3);
            }
            prompts.add(prompt);
        }
        long start = System.nanoTime();
        for (int s = 0; s < streams; s++) {
            String adapter = adapters == 0 ? null : "a" + (s % adapters);
            java.util.concurrent.CompletableFuture<Void> chain = java.util.concurrent.CompletableFuture.completedFuture(null);
            for (int r = 0; r < rounds; r++) {
                int[] prompt = prompts.get(s * rounds + r);
                chain = chain.thenCompose(ignored -> {
                    long[] last = {0};
                    TokenSink sink = token -> {
                        long now = System.nanoTime();
                        if (last[0] != 0) {
                            gaps.add((now - last[0]) / 1e6);
                        }
                        last[0] = now;
                        return true;
                    };
                    GenerationRequest request = new GenerationRequest(prompt, 0, adapter, Sampling.greedy(), newTokens, null, sink);
                    return engine.submit(request).result().thenAccept(c -> {
                        ttfts.add(c.timeToFirstTokenNanos() / 1e6);
                        generated.addAndGet(c.tokens().length);
                    });
                });
            }
            done.add(chain);
        }
        java.util.concurrent.CompletableFuture.allOf(done.toArray(new java.util.concurrent.CompletableFuture[0])).get();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Cell(generated.get() / seconds, percentile(ttfts, 50), percentile(ttfts, 99), percentile(gaps, 50));
    }

    static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100 * sorted.size()) - 1 < 0 ? 0
                : (int) Math.ceil(p / 100 * sorted.size()) - 1));
    }

    /**
     * Mixed-adapter batches on the serving engine: six requests of different prompt lengths on three adapters of
     * different ranks and targets and on the base model, decoded together, must give each request the tokens it
     * gets alone; on the native path and on the DJL path, and the two paths must agree (bf16 weights: the
     * fraction of differing tokens is reported, rows compared position by position). Sliding window 8 and 24 new
     * tokens, so the ring wraps.
     */
    static void servingCheck(String[] args) throws Exception {
        Device device = device(args[1]);
        Gemma3Config.Builder b = Gemma3Config.preset("1b").toBuilder();
        b.vocabSize = 4096;
        b.numHiddenLayers = 4;
        b.slidingWindow = 8;
        b.layerTypes = List.of(Gemma3Config.SLIDING, Gemma3Config.SLIDING, Gemma3Config.FULL, Gemma3Config.SLIDING);
        Gemma3Config config = b.build();
        int[] lengths = {5, 17, 30, 9, 12, 23};
        String[] adapterOf = {"a", null, "b", "a", "c", null};
        int newTokens = 24;
        for (String mode : new String[] {"fp32", "bf16"}) {
            DataType weights = precision(mode);
            try (Gemma3Model model = Gemma3Model.random(config, new RandomInit(3, 0.05, 0.1), weights, device)) {
                Path root = Files.createTempDirectory("serving-check");
                Path a = RandomFixtures.adapter(model, root.resolve("a"), 8, Set.copyOf(LoraConfig.GEMMA_MODULES), 11, 0.05);
                Path bb = RandomFixtures.adapter(model, root.resolve("b"), 4, Set.copyOf(LoraConfig.GEMMA_MODULES), 12, 0.05);
                Path c = RandomFixtures.adapter(model, root.resolve("c"), new LoraConfig(16, 16, 0.0, Set.of("v_proj", "down_proj"), false), 13, 0.05);
                int[][][] tokens = new int[2][2][];   // [path][batched?] -> flattened tokens
                long[] steps = new long[2];
                for (int path = 0; path < 2; path++) {
                    System.setProperty("tooltune.native.serving", path == 0 ? "1" : "0");
                    ServingConfig serving = ServingConfig.defaults().withMaxRunningSequences(8).withMaxSequenceLength(64)
                            .withPrefixCacheBytes(0).withStopTokens(Set.of());
                    try (ServingEngine engine = ServingEngine.start(model, serving)) {
                        engine.loadAdapter("a", a);
                        engine.loadAdapter("b", bb);
                        engine.loadAdapter("c", c);
                        for (int batched = 0; batched < 2; batched++) {
                            List<int[]> out = new ArrayList<>();
                            List<GenerationHandle> handles = new ArrayList<>();
                            for (int r = 0; r < lengths.length; r++) {
                                GenerationRequest request = new GenerationRequest(RandomFixtures.prompt(lengths[r], r,
                                        config.vocabSize()), 0, adapterOf[r], Sampling.greedy(), newTokens, null, null);
                                GenerationHandle handle = engine.submit(request);
                                if (batched == 0) {
                                    out.add(handle.result().get().tokens());
                                } else {
                                    handles.add(handle);
                                }
                            }
                            for (GenerationHandle handle : handles) {
                                out.add(handle.result().get().tokens());
                            }
                            tokens[path][batched] = out.stream().flatMapToInt(java.util.Arrays::stream).toArray();
                        }
                        steps[path] = engine.stats().decodeSteps();
                    }
                }
                System.clearProperty("tooltune.native.serving");
                double tolerance = mode.equals("bf16") ? 0.05 : 0.0;
                if (mode.equals("bf16")) {
                    // the same weights from a bf16 checkpoint, loaded as bf16 without widening, serve the same tokens
                    Path checkpoint = root.resolve("bf16-checkpoint");
                    Gemma3Model.writeRandomCheckpoint(config, new RandomInit(3, 0.05, 0.1), checkpoint,
                            dev.tooltune.model.checkpoint.StoredType.BF16);
                    try (Gemma3Model loaded = Gemma3Model.load(checkpoint, DataType.BFLOAT16, device);
                         ServingEngine engine = ServingEngine.start(loaded, ServingConfig.defaults().withMaxRunningSequences(8)
                                 .withMaxSequenceLength(64).withPrefixCacheBytes(0).withStopTokens(Set.of()))) {
                        List<GenerationHandle> handles = new ArrayList<>();
                        for (int r = 0; r < lengths.length; r++) {
                            handles.add(engine.submit(new GenerationRequest(RandomFixtures.prompt(lengths[r], r,
                                    config.vocabSize()), 0, null, Sampling.greedy(), newTokens, null, null)));
                        }
                        List<int[]> out = new ArrayList<>();
                        for (GenerationHandle handle : handles) {
                            out.add(handle.result().get().tokens());
                        }
                        System.out.printf("bf16 checkpoint: weights stored as %s%n", loaded.bf16Weights() ? "bf16" : "not bf16");
                        int[] fromCheckpoint = out.stream().flatMapToInt(java.util.Arrays::stream).toArray();
                        try (ServingEngine engine2 = ServingEngine.start(model, ServingConfig.defaults().withMaxRunningSequences(8)
                                .withMaxSequenceLength(64).withPrefixCacheBytes(0).withStopTokens(Set.of()))) {
                            List<int[]> ref = new ArrayList<>();
                            for (int r = 0; r < lengths.length; r++) {
                                ref.add(engine2.submit(new GenerationRequest(RandomFixtures.prompt(lengths[r], r,
                                        config.vocabSize()), 0, null, Sampling.greedy(), newTokens, null, null)).result().get().tokens());
                            }
                            tokenCheck("serving-bf16-checkpoint-vs-random-bf16" + (loaded.bf16Weights() ? "" : "-NOT-BF16"),
                                    fromCheckpoint, ref.stream().flatMapToInt(java.util.Arrays::stream).toArray(),
                                    loaded.bf16Weights() ? tolerance : -1);
                        }
                    }
                }
                tokenCheck("serving-native-batched-vs-alone-" + mode, tokens[0][1], tokens[0][0], tolerance);
                tokenCheck("serving-djl-batched-vs-alone-" + mode, tokens[1][1], tokens[1][0], tolerance);
                tokenCheck("serving-native-vs-djl-batched-" + mode, tokens[0][1], tokens[1][1], tolerance);
                System.out.printf("serving-check %s: decode steps native %d, djl %d%n", mode, steps[0], steps[1]);
            }
            Kernels.autocast(false);
        }
    }

    static void tokenCheck(String label, int[] a, int[] b, double tolerance) {
        int differ = Math.abs(a.length - b.length);
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            differ += a[i] != b[i] ? 1 : 0;
        }
        double fraction = differ / (double) Math.max(a.length, b.length);
        System.out.printf("RESULT kind=check label=%s-tokens%d rel_l2=%.3e max_abs=%d pass=%s%n", label, a.length, fraction,
                differ, a.length == b.length && fraction <= tolerance);
    }
}
