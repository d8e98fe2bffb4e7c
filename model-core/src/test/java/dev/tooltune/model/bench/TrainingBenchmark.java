package dev.tooltune.model.bench;

import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.fixtures.RandomFixtures;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.training.EncodedExample;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.LearningRateSchedule;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingListener;
import dev.tooltune.model.training.TrainingMethod;
import dev.tooltune.model.training.TrainingProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One training configuration, one JVM (so peak memory is this run's): random Gemma 3 of a preset, random
 * sequences whose second half is trained, LoRA r=16 on all seven projections (or full), AdamW. Prints one
 * markdown table row: tokens/s over the timed steps (the first step is warm-up), step time, peak RSS.
 * Usage: TrainingBenchmark PRESET METHOD SEQUENCE_LENGTH BATCH STEPS
 */
public final class TrainingBenchmark {

    public static void main(String[] args) throws Exception {
        String preset = args[0];
        TrainingMethod method = TrainingMethod.valueOf(args[1].toUpperCase());
        int length = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int steps = Integer.parseInt(args[4]);
        Gemma3Config config = Gemma3Config.preset(preset);
        List<EncodedExample> data = RandomFixtures.rows(config, length, batch * (steps + 1));
        LoraConfig lora = new LoraConfig(16, 32, 0.0, Set.copyOf(LoraConfig.GEMMA_MODULES), false);
        TrainingConfig training = TrainingConfig.lora(lora).withMethod(method).withEpochs(1).withLearningRate(1e-4)
                .withBatching(batch, 1, length, false).withSchedule(0, LearningRateSchedule.Decay.CONSTANT).withLossChunk(32);
        long start = System.nanoTime();
        try (Gemma3Model model = Gemma3Model.random(config, 1)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            if (method == TrainingMethod.QLORA) {
                lm.quantizeProjections();
            }
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            long[] timedStart = new long[1];
            double[] lastLoss = new double[1];
            try (Trainer trainer = new Trainer(lm, training, data, List.of(), null)) {
                long trainable = trainer.parameters().stream().mapToLong(a -> a.size()).sum();
                trainer.run(new TrainingListener() {
                    @Override
                    public void onStep(TrainingProgress progress) {
                        if (progress.step() == 1) {
                            timedStart[0] = System.nanoTime();
                        }
                        lastLoss[0] = progress.loss();
                    }
                }, null);
                double seconds = (System.nanoTime() - timedStart[0]) / 1e9;
                long tokens = (long) steps * batch * length;
                System.out.printf("| %s | %s | %,d | %d x %d | %.1f | %.2f | %.0f | %.2f | %.1f |%n", preset, method.name().toLowerCase(),
                        trainable, batch, length, tokens / seconds, seconds / steps, peakRssMiB(), lastLoss[0], loadSeconds);
            }
        }
    }

    /** VmHWM: the process's peak resident memory (heap, libtorch allocations, everything). */
    static double peakRssMiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }
}
