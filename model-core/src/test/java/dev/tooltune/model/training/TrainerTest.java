package dev.tooltune.model.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.lora.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    static final LoraConfig LORA = new LoraConfig(4, 8, 0.1, Set.of("q", "v", "down"), false);

    static List<EncodedExample> dataset(int count, long seed) {
        Random random = new Random(seed);
        List<EncodedExample> out = new ArrayList<>();
        for (int e = 0; e < count; e++) {
            int length = 6 + random.nextInt(8);
            int[] ids = new int[length];
            float[] weights = new float[length];
            for (int t = 0; t < length; t++) {
                ids[t] = random.nextInt(40);
                weights[t] = t >= length / 2 ? 1 : 0; // the "assistant" half
            }
            out.add(new EncodedExample(ids, weights));
        }
        return out;
    }

    static TrainingConfig config() {
        return TrainingConfig.lora(LORA).withEpochs(2).withLearningRate(1e-2).withBatching(2, 2, 16, false)
                .withSchedule(2, LearningRateSchedule.Decay.COSINE).withRegularisation(0.01, 1.0).withSeed(9)
                .withEvalAndCheckpoints(3, 0).withLossChunk(5);
    }

    @Test
    void resumedRunEndsExactlyWhereTheUninterruptedRunEnds(@TempDir Path directory) {
        List<EncodedExample> train = dataset(12, 1);
        List<EncodedExample> eval = dataset(3, 2);
        TrainingConfig config = config();

        double[] uninterrupted;
        TrainingResult full;
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3), config, train, eval, null)) {
            full = trainer.run(null, null);
            uninterrupted = flatten(trainer.parameters());
        }
        assertEquals(TrainingResult.Status.COMPLETED, full.status());
        assertEquals(6, full.steps()); // 12 examples / 2 per batch / 2 accumulated = 3 steps per epoch

        CancellationToken cancel = new CancellationToken();
        List<Long> steps = new ArrayList<>();
        TrainingResult first;
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3), config, train, eval, directory)) {
            first = trainer.run(new TrainingListener() {
                @Override
                public void onStep(TrainingProgress progress) {
                    steps.add(progress.step());
                    if (progress.step() == 4) {
                        cancel.cancel();
                    }
                }
            }, cancel);
        }
        assertEquals(TrainingResult.Status.CANCELLED, first.status());
        assertEquals(4, first.steps());
        assertEquals(List.of(1L, 2L, 3L, 4L), steps, "cancellation stops before the next step");
        assertNotNull(first.checkpoint());
        assertTrue(Files.exists(directory.resolve("latest")));

        TrainingResult resumed;
        double[] afterResume;
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3), config, train, eval, directory)) {
            resumed = trainer.run(null, null);
            afterResume = flatten(trainer.parameters());
        }
        assertEquals(TrainingResult.Status.COMPLETED, resumed.status());
        assertEquals(6, resumed.steps());
        assertEquals(full.lastLoss(), resumed.lastLoss(), 1e-6 * Math.abs(full.lastLoss()));
        assertEquals(full.lastEvalLoss(), resumed.lastEvalLoss(), 1e-6 * Math.abs(full.lastEvalLoss()));
        assertArrayEquals(uninterrupted, afterResume, 1e-6);
    }

    @Test
    void accumulatingMicroBatchesEqualsOneLargeBatch() {
        List<EncodedExample> train = dataset(8, 4);
        TrainingConfig base = config().withLora(LORA.withDropout(0)).withEpochs(1).withSchedule(0, LearningRateSchedule.Decay.CONSTANT)
                .withRegularisation(0.0, 0.0);
        double[] accumulated;
        double[] large;
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3),
                        base.withBatching(2, 4, 16, false), train, List.of(), null)) {
            assertEquals(1, trainer.totalSteps());
            trainer.run(null, null);
            accumulated = flatten(trainer.parameters());
        }
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3),
                        base.withBatching(8, 1, 16, false), train, List.of(), null)) {
            assertEquals(1, trainer.totalSteps());
            trainer.run(null, null);
            large = flatten(trainer.parameters());
        }
        assertArrayEquals(large, accumulated, 1e-5);
    }

    @Test
    void packedAndPaddedBatchesGiveTheSameLoss() {
        List<EncodedExample> examples = dataset(6, 5);
        TokenCrossEntropy loss = new TokenCrossEntropy(7);
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyCausalLm model = new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3);
            double[] padded = lossOf(model, loss, List.of(Batch.padded(examples)));
            List<Batch> packed = Batch.packed(examples, 40, 8);
            assertTrue(packed.get(0).rows() < examples.size(), "examples share rows");
            double[] packedSums = lossOf(model, loss, packed);
            assertEquals(padded[1], packedSums[1], 1e-9);
            assertEquals(padded[0] / padded[1], packedSums[0] / packedSums[1], 1e-5);
        }
    }

    private static double[] lossOf(CausalLm model, TokenCrossEntropy loss, List<Batch> batches) {
        double total = 0;
        double weight = 0;
        for (Batch batch : batches) {
            try (NDManager scratch = model.manager().newSubManager()) {
                var shape = new ai.djl.ndarray.types.Shape(batch.rows(), batch.length());
                NDArray hidden = model.hiddenStates(scratch.create(batch.inputIds(), shape), scratch.create(batch.positions(), shape),
                        scratch.create(batch.segmentIds(), shape), false);
                double[] sums = loss.evaluate(hidden, batch, model.outputEmbedding(), 0);
                total += sums[0];
                weight += sums[1];
            }
        }
        return new double[] {total, weight};
    }

    @Test
    void progressReportsLearningRateScheduleTokensAndEta() {
        List<TrainingProgress> reports = new ArrayList<>();
        List<Double> evals = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3), config(),
                        dataset(12, 1), dataset(2, 3), null)) {
            trainer.run(new TrainingListener() {
                @Override
                public void onStep(TrainingProgress progress) {
                    reports.add(progress);
                }

                @Override
                public void onEvalLoss(long step, double loss) {
                    evals.add(loss);
                }
            }, null);
        }
        assertEquals(6, reports.size());
        LearningRateSchedule schedule = new LearningRateSchedule(1e-2, 2, 6, LearningRateSchedule.Decay.COSINE);
        for (TrainingProgress progress : reports) {
            assertEquals(schedule.at(progress.step() - 1), progress.learningRate(), 1e-15);
            assertTrue(progress.tokensPerSecond() > 0);
            assertTrue(Double.isFinite(progress.loss()) && progress.loss() > 0);
        }
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i).tokens() > reports.get(i - 1).tokens(), "real tokens so far grow with every step");
        }
        assertEquals(1.0 / 3, reports.get(0).epoch(), 1e-12);
        assertEquals(1.0, reports.get(2).epoch(), 1e-12);
        assertEquals(java.time.Duration.ZERO, reports.get(5).eta());
        assertEquals(2, evals.size(), "eval every 3 steps of 6");
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        LearningRateSchedule cosine = new LearningRateSchedule(1.0, 4, 14, LearningRateSchedule.Decay.COSINE);
        assertEquals(0.2, cosine.at(0), 1e-12);
        assertEquals(0.8, cosine.at(3), 1e-12);
        assertEquals(1.0, cosine.at(4), 1e-12);
        assertEquals(0.5, cosine.at(9), 1e-12);
        assertTrue(cosine.at(13) < 0.03);
        LearningRateSchedule linear = new LearningRateSchedule(1.0, 0, 10, LearningRateSchedule.Decay.LINEAR);
        assertEquals(0.7, linear.at(3), 1e-12);
    }

    @Test
    void adamWMatchesTheReferenceUpdate() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray parameter = manager.create(new double[] {1.0, -2.0});
            parameter.setRequiresGradient(true);
            double[] gradients = {0.5, -0.25};
            try (AdamW adam = new AdamW(manager, List.of(parameter), 0.9, 0.999, 1e-8, 0.1)) {
                double[] p = {1.0, -2.0};
                double[] m = new double[2];
                double[] v = new double[2];
                for (int step = 1; step <= 3; step++) {
                    try (var collector = manager.getEngine().newGradientCollector()) {
                        collector.backward(parameter.mul(manager.create(gradients)).sum());
                    }
                    adam.step(0.01);
                    adam.zeroGradients();
                    for (int i = 0; i < 2; i++) {
                        p[i] *= 1 - 0.01 * 0.1;
                        m[i] = 0.9 * m[i] + 0.1 * gradients[i];
                        v[i] = 0.999 * v[i] + 0.001 * gradients[i] * gradients[i];
                        double mHat = m[i] / (1 - Math.pow(0.9, step));
                        double vHat = v[i] / (1 - Math.pow(0.999, step));
                        p[i] -= 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
                    }
                }
                assertArrayEquals(p, parameter.toDoubleArray(), 1e-12);
            }
        }
    }

    @Test
    void zeroingClearsNonFiniteGradientsOfASkippedStep() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray parameter = manager.create(new float[] {1, 2});
            parameter.setRequiresGradient(true);
            try (var collector = manager.getEngine().newGradientCollector()) {
                collector.backward(parameter.mul(manager.create(new float[] {Float.NaN, Float.POSITIVE_INFINITY})).sum());
            }
            try (AdamW adam = new AdamW(manager, List.of(parameter), 0.9, 0.999, 1e-8, 0)) {
                assertTrue(Double.isNaN(GradientClipping.clipGlobalNorm(List.of(parameter), 1.0)));
                adam.zeroGradients();
                assertArrayEquals(new float[] {0, 0}, parameter.getGradient().toFloatArray());
            }
        }
    }

    @Test
    void clippingScalesTheGlobalNorm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.create(new float[] {1, 1});
            NDArray b = manager.create(new float[] {0, 0});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (var collector = manager.getEngine().newGradientCollector()) {
                collector.backward(a.mul(manager.create(new float[] {3, 0})).sum().add(b.mul(manager.create(new float[] {0, 4})).sum()));
            }
            assertEquals(5.0, GradientClipping.clipGlobalNorm(List.of(a, b), 1.0), 1e-6);
            assertArrayEquals(new float[] {0.6f, 0}, a.getGradient().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {0, 0.8f}, b.getGradient().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void anEpochIsCeilExamplesOverBatchSizeStepsWithPackingToo() {
        // #21 item 5: short examples that fit one packed row; the batch size must still decide the step count.
        List<EncodedExample> train = dataset(5, 3);
        for (boolean packing : new boolean[] {true, false}) {
            for (int[] batchAndSteps : new int[][] {{1, 5}, {2, 3}, {4, 2}, {8, 1}}) {
                try (NDManager manager = NDManager.newBaseManager();
                        Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3),
                                config().withEpochs(3).withBatching(batchAndSteps[0], 1, 64, packing), train, List.of(),
                                null)) {
                    String what = "batch " + batchAndSteps[0] + (packing ? " packed" : " padded");
                    assertEquals(batchAndSteps[1], trainer.stepsPerEpoch(), what);
                    assertEquals(3L * batchAndSteps[1], trainer.totalSteps(), what);
                    assertTrue(trainer.plan().contains(batchAndSteps[1] + " steps per epoch x 3 epochs = "
                            + 3 * batchAndSteps[1] + " steps"), trainer.plan());
                }
            }
        }
    }

    @Test
    void thePlanSaysWhichExamplesMaxLengthCut() {
        List<EncodedExample> train = List.of(
                new EncodedExample(new int[] {1, 2, 3, 4, 5, 6}, new float[] {0, 0, 0, 0, 1, 1}),  // loses all targets
                new EncodedExample(new int[] {1, 2, 3, 4, 5}, new float[] {0, 1, 1, 1, 1}),        // loses one target
                new EncodedExample(new int[] {1, 2}, new float[] {0, 1}));
        try (NDManager manager = NDManager.newBaseManager();
                Trainer trainer = new Trainer(new TinyCausalLm(manager, 40, 16, 24, DataType.FLOAT32, 3),
                        config().withEpochs(1).withBatching(1, 1, 4, false), train, List.of(), null)) {
            String plan = trainer.plan();
            assertTrue(plan.startsWith("2 of 3 training examples were longer than max_length 4 and were cut to it "
                    + "(3 tokens, 3 trained tokens dropped; the longest had 6 tokens); 1 were skipped with nothing "
                    + "left to train on (examples [0])."), plan);
            assertTrue(plan.endsWith("Training on 2 examples, batch size 1: 2 steps per epoch x 1 epochs = 2 steps"),
                    plan);
        }
    }

    @Test
    void truncationIsReportedAndEmptyExamplesSkipped() {
        List<EncodedExample> examples = List.of(
                new EncodedExample(new int[] {1, 2, 3, 4, 5, 6}, new float[] {0, 0, 0, 0, 1, 1}),  // loses all targets
                new EncodedExample(new int[] {1, 2, 3, 4, 5}, new float[] {0, 1, 1, 1, 1}),        // loses one target
                new EncodedExample(new int[] {1, 2}, new float[] {0, 1}));
        TruncationReport.Result result = TruncationReport.apply(examples, 4);
        assertEquals(2, result.examples().size());
        assertEquals(2, result.report().truncatedExamples());
        assertEquals(3, result.report().droppedTokens());
        assertEquals(3.0, result.report().droppedTrainedWeight());
        assertEquals(List.of(0), result.report().skippedExamples());
        assertEquals(List.of(1, 2), result.originalIndices());
        assertTrue(result.report().toString().contains("examples [0]"), result.report().toString());
    }

    @Test
    void packingKeepsSegmentsApartWithTheirOwnPositionsAndTargets() {
        List<Batch> batches = Batch.packed(List.of(
                new EncodedExample(new int[] {10, 11, 12}, new float[] {0, 1, 1}),
                new EncodedExample(new int[] {20, 21, 22, 23, 24}, new float[] {0, 0, 1, 1, 1}),
                new EncodedExample(new int[] {30, 31}, new float[] {0, 1})), 6, 4);
        assertEquals(1, batches.size());
        Batch batch = batches.get(0);
        assertEquals(2, batch.rows());
        assertEquals(5, batch.length());
        assertArrayEquals(new long[] {10, 11, 12, 30, 31, 20, 21, 22, 23, 24}, batch.inputIds());
        assertArrayEquals(new long[] {1, 1, 1, 2, 2, 1, 1, 1, 1, 1}, batch.segmentIds());
        assertArrayEquals(new long[] {0, 1, 2, 0, 1, 0, 1, 2, 3, 4}, batch.positions());
        assertArrayEquals(new long[] {11, 12, 0, 31, 0, 21, 22, 23, 24, 0}, batch.targets());
        assertArrayEquals(new float[] {1, 1, 0, 1, 0, 0, 1, 1, 1, 0}, batch.targetWeights());
        assertEquals(10, batch.realTokens());

        Batch padded = Batch.padded(List.of(new EncodedExample(new int[] {5, 6, 7}, new float[] {0, 1, 1}),
                new EncodedExample(new int[] {8}, new float[] {0})));
        assertArrayEquals(new long[] {5, 6, 7, 8, 0, 0}, padded.inputIds());
        assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0}, padded.segmentIds());
        assertEquals(2.0, padded.trainedWeight());
    }

    @Test
    void badConfigurationSaysWhichField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config().withBatching(0, 1, 16, false));
        assertTrue(e.getMessage().contains("'batch_size'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> config().withMethod(TrainingMethod.QLORA).withLora(null));
        assertTrue(e.getMessage().contains("'lora'"), e.getMessage());
    }

    static double[] flatten(List<NDArray> parameters) {
        List<Double> values = new ArrayList<>();
        for (NDArray parameter : parameters) {
            for (float value : parameter.toType(DataType.FLOAT32, false).toFloatArray()) {
                values.add((double) value);
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
