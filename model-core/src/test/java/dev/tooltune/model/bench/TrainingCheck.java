package dev.tooltune.model.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.fixtures.RandomFixtures;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.kernels.TrainingKernel;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.training.Batch;
import dev.tooltune.model.training.CancellationToken;
import dev.tooltune.model.training.EncodedExample;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.LearningRateSchedule;
import dev.tooltune.model.training.TokenCrossEntropy;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingListener;
import dev.tooltune.model.training.TrainingProgress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * GPU checks of the native training kernels (training.cc) against the DJL path they replace, printed as
 * {@code RESULT kind=check} lines for bench/gpu_table.py.
 *
 * <pre>
 *   train-check DEVICE                          one packed batch (several examples per row, padding, sliding window
 *                                                smaller than the examples): loss and every LoRA gradient with each
 *                                                kernel alone and all together against none, fp32 and bf16
 *   loss-curve PRESET LENGTH BATCH STEPS DEVICE  the trainer for STEPS steps on packed examples of varying length:
 *                                                bf16 with every kernel against the fp32 DJL path, step by step
 * </pre>
 */
final class TrainingCheck {

    /** bf16 against fp32 over a whole run: the largest per-step relative loss difference allowed. */
    static final double LOSS_CURVE_TOLERANCE = 0.05;

    private TrainingCheck() {
    }

    static void trainCheck(String[] args) {
        require();
        Device device = GpuBenchmark.device(args[1]);
        Kernels.tf32(false);
        for (String mode : new String[] {"fp32", "bf16"}) {
            Kernels.autocast(mode.equals("bf16"));
            Kernels.setTrainingKernels(Set.of());
            float[][] reference = lossAndGradients(device, mode);
            List<Set<TrainingKernel>> variants = new ArrayList<>();
            for (TrainingKernel kernel : TrainingKernel.values()) {
                if (kernel != TrainingKernel.VARLEN_ATTENTION || mode.equals("bf16")) { // flash runs in bf16 only
                    variants.add(EnumSet.of(kernel));
                }
            }
            variants.add(EnumSet.allOf(TrainingKernel.class));
            for (Set<TrainingKernel> kernels : variants) {
                Kernels.setTrainingKernels(kernels);
                String name = kernels.size() == TrainingKernel.values().length ? "all" : kernels.iterator().next().name().toLowerCase();
                if (!Kernels.trainingKernels().containsAll(kernels)) {
                    // linked out or unsupported here (e.g. no flash attention with a window): say so, do not pass
                    GpuBenchmark.check("train-kernel-" + name + "-unavailable-" + mode + "-running-" + GpuBenchmark.kernelNames(),
                            new double[] {Double.NaN, Double.NaN}, false);
                }
                float[][] got = lossAndGradients(device, mode);
                // fp32: the same math in another order; bf16: both sides round activations to bf16 in different places
                double gradientBound = mode.equals("fp32") ? 1e-4 : 3e-2;
                double lossBound = mode.equals("fp32") ? 1e-5 : 5e-3;
                double[] gradients = GpuBenchmark.errors(reference[0], got[0]);
                double[] loss = GpuBenchmark.errors(reference[1], got[1]);
                GpuBenchmark.check("train-kernel-" + name + "-lora-grads-" + mode, gradients, gradients[0] < gradientBound);
                GpuBenchmark.check("train-kernel-" + name + "-loss-" + mode, loss, loss[0] < lossBound);
            }
        }
        Kernels.autocast(false);
        Kernels.setTrainingKernels(EnumSet.allOf(TrainingKernel.class));
    }

    /** Every gradient of {@code adapter}'s parameters, in parameter order, as one fp32 array on the host. */
    static float[] gradients(LoraAdapter adapter) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (NDArray parameter : adapter.parameters()) {
            float[] g = parameter.getGradient().toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
            parts.add(g);
            total += g.length;
        }
        float[] all = new float[total];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** {every LoRA gradient, {loss}} of one packed batch through TokenCrossEntropy, as the trainer runs it. */
    static float[][] lossAndGradients(Device device, String mode) {
        Gemma3Config config = RandomFixtures.threeLayers(4096);
        DataType weights = mode.equals("bf16") ? DataType.BFLOAT16 : DataType.FLOAT32;
        try (Gemma3Model model = Gemma3Model.random(config, new RandomInit(3, 0.05, 0.1), weights, device)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            LoraConfig lora = new LoraConfig(8, 16, 0.0, Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                    "down_proj"), false);
            try (LoraAdapter adapter = LoraAdapter.create(model.manager(), lora, lm.projections(), 5);
                 NDManager scope = model.manager().newSubManager()) {
                Engine.getInstance().setRandomSeed(9);
                for (NDArray parameter : adapter.parameters()) {
                    parameter.addi(scope.randomNormal(parameter.getShape()).mul(0.05f)); // B starts at zero
                }
                adapter.attach();
                adapter.requireGradients();
                // rows of 96: [40, 30, 20 | 6 padding] and [70 | 26 padding]; window 16 < every example
                Random random = new Random(4);
                List<EncodedExample> examples = new ArrayList<>();
                for (int length : new int[] {40, 30, 20, 70}) {
                    examples.add(RandomFixtures.row(random, config.vocabSize(), length, length / 3));
                }
                Batch batch = Batch.packed(examples, 96, 2).get(0);
                TokenCrossEntropy loss = new TokenCrossEntropy(37); // several chunks, the last one partial
                Shape shape = new Shape(batch.rows(), batch.length());
                double value;
                try (NDScope step = new NDScope(); GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray hidden = lm.hiddenStates(scope.create(batch.inputIds(), shape).duplicate(),
                            scope.create(batch.positions(), shape).duplicate(), scope.create(batch.segmentIds(), shape).duplicate(),
                            true);
                    value = loss.backward(collector, hidden, batch, lm.outputEmbedding(), lm.finalLogitSoftcapping(),
                            batch.trainedWeight());
                }
                float[] all = gradients(adapter);
                adapter.detach();
                return new float[][] {all, {(float) value}};
            }
        }
    }

    static void lossCurve(String[] args) {
        require();
        String preset = args[1];
        int length = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int steps = Integer.parseInt(args[4]);
        Device device = GpuBenchmark.device(args[5]);
        Gemma3Config config = Gemma3Config.preset(preset);
        // 4 rows' worth of examples of varying length, trained again and again: the loss falls
        Random random = new Random(7);
        List<EncodedExample> data = new ArrayList<>();
        int tokens = 0;
        while (tokens < 4 * length) {
            int n = Math.min(length, 32 + random.nextInt(length / 2));
            int[] ids = new int[n];
            float[] w = new float[n];
            for (int t = 0; t < n; t++) {
                ids[t] = t == 0 ? 2 : 3 + random.nextInt(1000); // a small vocabulary, so the model can learn it
                w[t] = t >= n / 2 ? 1 : 0;
            }
            data.add(new EncodedExample(ids, w));
            tokens += n;
        }
        LoraConfig lora = new LoraConfig(16, 32, 0.0, Set.of("q_proj", "k_proj", "v_proj", "o_proj"), false);
        TrainingConfig training = TrainingConfig.lora(lora).withEpochs(1000).withLearningRate(1e-3)
                .withBatching(batch, 1, length, true).withSchedule(0, LearningRateSchedule.Decay.CONSTANT);
        Kernels.tf32(false);
        Kernels.autocast(false);
        Kernels.setTrainingKernels(Set.of());
        double[] fp32 = curve(config, DataType.FLOAT32, device, training, data, steps);
        Kernels.autocast(true);
        Kernels.setTrainingKernels(EnumSet.allOf(TrainingKernel.class));
        double[] bf16 = curve(config, DataType.BFLOAT16, device, training, data, steps);
        Kernels.autocast(false);
        double worst = 0;
        StringBuilder pairs = new StringBuilder();
        for (int i = 0; i < steps; i++) {
            worst = Math.max(worst, Math.abs(bf16[i] - fp32[i]) / Math.abs(fp32[i]));
            pairs.append(String.format("%d:%.4f/%.4f ", i + 1, fp32[i], bf16[i]));
        }
        System.out.println("loss-curve fp32/bf16 per step: " + pairs);
        System.out.printf("RESULT kind=check label=loss-curve-%s-%dx%d-%dsteps-bf16-kernels-vs-fp32-djl first=%.4f last_fp32=%.4f "
                        + "last_bf16=%.4f rel_l2=%.3e max_abs=%.3e pass=%s%n", preset, batch, length, steps, fp32[0],
                fp32[steps - 1], bf16[steps - 1], worst, worst * Math.abs(fp32[0]), worst < LOSS_CURVE_TOLERANCE);
    }

    private static double[] curve(Gemma3Config config, DataType weights, Device device, TrainingConfig training,
            List<EncodedExample> data, int steps) {
        double[] losses = new double[steps];
        try (Gemma3Model model = Gemma3Model.random(config, RandomInit.of(1), weights, device);
             Trainer trainer = new Trainer(new GemmaCausalLm(model), training, data, List.of(), null)) {
            CancellationToken cancel = new CancellationToken();
            trainer.run(new TrainingListener() {
                @Override
                public void onStep(TrainingProgress progress) {
                    losses[(int) progress.step() - 1] = progress.loss();
                    if (progress.step() >= steps) {
                        cancel.cancel();
                    }
                }
            }, cancel);
        }
        return losses;
    }

    private static void require() {
        if (!Kernels.available() || Kernels.trainingKernels().isEmpty() && !probe()) {
            throw new IllegalStateException("needs the native library with training.cc (" + Kernels.LIBRARY_PROPERTY + ")");
        }
    }

    private static boolean probe() {
        Set<TrainingKernel> before = Kernels.trainingKernels();
        Kernels.setTrainingKernels(EnumSet.allOf(TrainingKernel.class));
        boolean linked = Kernels.enabled(TrainingKernel.CROSS_ENTROPY);
        Kernels.setTrainingKernels(before);
        return linked;
    }
}
