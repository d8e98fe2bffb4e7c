package dev.tooltune.model.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.generation.GenerationOptions;
import dev.tooltune.model.generation.GenerationResult;
import dev.tooltune.model.generation.Generator;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.training.CancellationToken;
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
 *   decode-check DEVICE                      (the native decode step against the DJL path, teacher-forced)
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
            case "decode-check" -> decodeCheck(args);
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
                : randomRows(config, length, batch * (steps + warmup + profiled));
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

    /** {@code count} random rows of {@code length} tokens, loss on the second half (what the HF reference trains). */
    static List<EncodedExample> randomRows(Gemma3Config config, int length, int count) {
        Random random = new Random(1);
        List<EncodedExample> data = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] ids = new int[length];
            float[] weights = new float[length];
            for (int t = 0; t < length; t++) {
                ids[t] = t == 0 ? 2 : 3 + random.nextInt(config.vocabSize() - 3);
                weights[t] = t >= length / 2 ? 1 : 0;
            }
            data.add(new EncodedExample(ids, weights));
        }
        return data;
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
                                + "cuda_graphs=%s native_steps=%d%n",
                        preset, mode, batch, promptLength, newTokens, result.prefillNanos() / 1e6,
                        (generated - batch) / decodeSeconds, (generated - batch) / decodeSeconds / batch,
                        Kernels.peakAllocatedBytes(device) / 1073741824.0, Kernels.available(),
                        Kernels.available() && !"0".equals(System.getenv("TOOLTUNE_CUDA_GRAPHS")), model.nativeDecodeSteps());
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
        Gemma3Config.Builder b = Gemma3Config.preset("1b").toBuilder();
        b.vocabSize = 512;
        b.hiddenSize = 256;
        b.intermediateSize = 1024;
        b.numHiddenLayers = 3;
        b.numAttentionHeads = 4;
        b.numKeyValueHeads = 1;
        b.headDim = 64;
        b.queryPreAttnScalar = 64;
        b.slidingWindow = 16;
        b.layerTypes = List.of(Gemma3Config.SLIDING, Gemma3Config.SLIDING, Gemma3Config.FULL);
        Gemma3Config config = b.build();
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
                List<float[]> parts = new ArrayList<>();
                int total = 0;
                for (NDArray parameter : adapter.parameters()) {
                    float[] g = parameter.getGradient().toDevice(Device.cpu(), false).toFloatArray();
                    parts.add(g);
                    total += g.length;
                }
                float[] all = new float[total];
                int at = 0;
                for (float[] part : parts) {
                    System.arraycopy(part, 0, all, at, part.length);
                    at += part.length;
                }
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

    // ------------------------------------------------------------------------------------------ decode-check

    /**
     * The native decode step (one call per token) against the DJL path it replaces, teacher-forced: the same
     * left-padded prompts prefilled by the DJL path, then the same fed tokens, logits of every step compared (fp32
     * with TF32 off, and bf16 weights under autocast). Sliding window 8 with 24 steps, so the ring wraps.
     */
    static void decodeCheck(String[] args) {
        if (!Kernels.available()) {
            throw new IllegalStateException("decode-check needs the native library (" + Kernels.LIBRARY_PROPERTY + ")");
        }
        Device device = device(args[1]);
        Gemma3Config.Builder b = Gemma3Config.preset("1b").toBuilder();
        b.vocabSize = 4096;
        b.numHiddenLayers = 4;
        b.slidingWindow = 8;
        b.layerTypes = List.of(Gemma3Config.SLIDING, Gemma3Config.SLIDING, Gemma3Config.FULL, Gemma3Config.SLIDING);
        Gemma3Config config = b.build();
        int batch = 3;
        int width = 12;
        int steps = 24;
        Random random = new Random(8);
        long[] ids = new long[batch * width];
        long[] positions = new long[batch * width];
        long[] mask = new long[batch * width];
        for (int r = 0; r < batch; r++) {
            int pad = r * 4;
            for (int t = 0; t < width; t++) {
                int at = r * width + t;
                ids[at] = t < pad ? config.padTokenId() : 3 + random.nextInt(config.vocabSize() - 3);
                positions[at] = Math.max(0, t - pad);
                mask[at] = t < pad ? 0 : 1;
            }
        }
        long[][] fed = new long[steps][batch];
        for (long[] row : fed) {
            for (int r = 0; r < batch; r++) {
                row[r] = 3 + random.nextInt(config.vocabSize() - 3);
            }
        }
        for (String mode : new String[] {"fp32", "bf16"}) {
            DataType weights = precision(mode);
            try (Gemma3Model model = Gemma3Model.random(config, new RandomInit(3, 0.05, 0.1), weights, device)) {
                float[][] logits = new float[2][];
                for (int path = 0; path < 2; path++) {
                    model.setNativeDecode(path == 1);
                    List<float[]> collected = new ArrayList<>();
                    try (NDManager scope = model.manager().newSubManager();
                         dev.tooltune.model.gemma3.KvCache cache = new dev.tooltune.model.gemma3.KvCache(config, batch,
                                 width + steps, model.computeType(), scope)) {
                        Shape shape = new Shape(batch, width);
                        model.lastLogits(ModelInput.of(scope.create(ids, shape), scope.create(positions, shape))
                                .withKeyMask(scope.create(mask, shape)).withCache(cache)).close();
                        for (int step = 0; step < steps; step++) {
                            long[] stepPositions = new long[batch];
                            long[] ones = new long[batch];
                            for (int r = 0; r < batch; r++) {
                                stepPositions[r] = width - r * 4 + step;
                                ones[r] = 1;
                            }
                            Shape one = new Shape(batch, 1);
                            NDArray out = model.lastLogits(ModelInput.of(scope.create(fed[step], one), scope.create(stepPositions, one))
                                    .withKeyMask(scope.create(ones, one)).withCache(cache));
                            collected.add(Kernels.toFloat32(out).toDevice(Device.cpu(), false).toFloatArray());
                        }
                    }
                    int total = collected.stream().mapToInt(a -> a.length).sum();
                    logits[path] = new float[total];
                    int at = 0;
                    for (float[] part : collected) {
                        System.arraycopy(part, 0, logits[path], at, part.length);
                        at += part.length;
                    }
                }
                double[] error = errors(logits[0], logits[1]);
                int rows = logits[0].length / config.vocabSize();
                int agree = 0;
                for (int r = 0; r < rows; r++) {
                    if (argmax(logits[0], r * config.vocabSize(), config.vocabSize())
                            == argmax(logits[1], r * config.vocabSize(), config.vocabSize())) {
                        agree++;
                    }
                }
                boolean finite = true;
                for (float v : logits[1]) {
                    finite &= Float.isFinite(v);
                }
                long nativeSteps = model.nativeDecodeSteps();
                check("native-decode-vs-djl-" + mode + "-argmax" + agree + "of" + rows + "-native_steps" + nativeSteps, error,
                        finite && nativeSteps == steps && error[0] < (mode.equals("bf16") ? 2e-2 : 1e-5));
            }
            Kernels.autocast(false);
        }
    }
}
