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
 * </pre>
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
        Random random = new Random(1);
        List<EncodedExample> data = new ArrayList<>();
        int warmup = 2;
        for (int i = 0; i < batch * (steps + warmup); i++) {
            int[] ids = new int[length];
            float[] weights = new float[length];
            for (int t = 0; t < length; t++) {
                ids[t] = t == 0 ? 2 : 3 + random.nextInt(config.vocabSize() - 3);
                weights[t] = t >= length / 2 ? 1 : 0;
            }
            data.add(new EncodedExample(ids, weights));
        }
        LoraConfig lora = new LoraConfig(16, 32, 0.0, Set.of("q_proj", "k_proj", "v_proj", "o_proj"), false);
        TrainingConfig training = TrainingConfig.lora(lora).withMethod(method).withEpochs(1).withLearningRate(1e-4)
                .withBatching(batch, 1, length, false).withSchedule(0, LearningRateSchedule.Decay.CONSTANT)
                .withLossChunk(lossChunk);
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
            double[] lastLoss = new double[1];
            try (Trainer trainer = new Trainer(lm, training, data, List.of(), null)) {
                trainer.run(new TrainingListener() {
                    @Override
                    public void onStep(TrainingProgress progress) {
                        if (progress.step() == warmup) {
                            Kernels.synchronize();
                            timedStart[0] = System.nanoTime();
                        }
                        lastLoss[0] = progress.loss();
                    }
                }, null);
                Kernels.synchronize();
                double seconds = (System.nanoTime() - timedStart[0]) / 1e9;
                long tokens = (long) steps * batch * length;
                System.out.printf("RESULT kind=train impl=model-core model=%s method=%s precision=%s batch=%d length=%d "
                                + "tokens_per_s=%.1f step_s=%.4f peak_gib=%.2f loss=%.4f load_s=%.1f native=%s%n",
                        preset, method.name().toLowerCase(Locale.ROOT), mode, batch, length, tokens / seconds,
                        seconds / steps, Kernels.peakAllocatedBytes(device) / 1073741824.0, lastLoss[0], loadSeconds,
                        Kernels.available());
            }
        }
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
                                + "ttft_ms=%.1f decode_tokens_per_s=%.1f per_stream_tokens_per_s=%.1f peak_gib=%.2f native=%s%n",
                        preset, mode, batch, promptLength, newTokens, result.prefillNanos() / 1e6,
                        (generated - batch) / decodeSeconds, (generated - batch) / decodeSeconds / batch,
                        Kernels.peakAllocatedBytes(device) / 1073741824.0, Kernels.available());
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
}
