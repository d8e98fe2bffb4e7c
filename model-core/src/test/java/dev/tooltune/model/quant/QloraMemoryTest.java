package dev.tooltune.model.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.gemma3.TestModels;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.training.EncodedExample;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.LearningRateSchedule;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingMethod;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * QLoRA's memory on the CPU, measured as the bytes of the arrays the model's managers hold: after quantisation
 * the projections cost about 4 bits a value, and training steps add only the adapter and its optimizer state,
 * never dense copies of the base weights (the GPU peak of issue 13 was such copies, one per forward call).
 */
class QloraMemoryTest {

    /** Projection-heavy, so the NF4 saving dominates what the test measures. */
    static Gemma3Config config() {
        Gemma3Config.Builder b = TestModels.config().toBuilder();
        b.hiddenSize = 128;
        b.intermediateSize = 512;
        b.numHiddenLayers = 2;
        b.layerTypes = List.of(Gemma3Config.SLIDING, Gemma3Config.FULL);
        b.headDim = 32;
        b.queryPreAttnScalar = 32;
        return b.build();
    }

    /** Bytes of every live array the manager and its sub-managers hold (each array once). */
    static long heldBytes(NDManager manager) {
        Map<NDArray, Boolean> seen = new IdentityHashMap<>();
        long bytes = 0;
        for (NDArray array : ((BaseNDManager) manager).getManagedArrays()) {
            if (!array.isReleased() && seen.put(array, true) == null) {
                bytes += array.getShape().size() * array.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    @Test
    void quantisedModelHoldsFourBitsPerProjectionValueAndTrainingKeepsNoDenseCopies() {
        Gemma3Config config = config();
        try (Gemma3Model model = Gemma3Model.random(config, new RandomInit(5, 0.05, 0.1), DataType.FLOAT32, Device.cpu())) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            long projectionValues = 0;
            for (Projection p : lm.projections()) {
                projectionValues += p.get().inFeatures() * p.get().outFeatures();
            }
            long denseHeld = heldBytes(model.manager());
            long otherBytes = denseHeld - 4 * projectionValues;

            long nf4Bytes = lm.quantizeProjections();
            long quantisedHeld = heldBytes(model.manager());
            // codes (4 bits) + absmax codes (1 byte per 64) + scales, plus 3 KiB of code tables per layer
            long tables = lm.projections().size() * (512L + 256L) * 4;
            assertTrue(nf4Bytes < projectionValues * 0.52 + 1024 * lm.projections().size(),
                    "NF4 storage " + nf4Bytes + " bytes for " + projectionValues + " values");
            long offsets = 4L * lm.projections().size(); // counted in storageBytes, held as a Java float
            assertEquals(otherBytes + nf4Bytes - offsets + tables, quantisedHeld,
                    "after quantisation the model holds its other weights, the NF4 storage and the code tables only");
            assertTrue(quantisedHeld < denseHeld * 0.4, "quantised " + quantisedHeld + " vs dense " + denseHeld);

            LoraConfig lora = new LoraConfig(4, 8, 0.0, Set.of("q_proj", "k_proj", "v_proj", "o_proj"), false);
            TrainingConfig training = TrainingConfig.lora(lora).withMethod(TrainingMethod.QLORA).withEpochs(1)
                    .withLearningRate(1e-3).withBatching(2, 1, 24, false).withSchedule(0, LearningRateSchedule.Decay.CONSTANT);
            List<EncodedExample> data = new ArrayList<>();
            Random random = new Random(7);
            for (int i = 0; i < 6; i++) {
                int[] ids = new int[24];
                float[] weights = new float[24];
                for (int t = 0; t < ids.length; t++) {
                    ids[t] = t == 0 ? 2 : 3 + random.nextInt(config.vocabSize() - 3);
                    weights[t] = t >= 12 ? 1 : 0;
                }
                data.add(new EncodedExample(ids, weights));
            }
            try (Trainer trainer = new Trainer(lm, training, data, List.of(), null)) {
                long adapterBytes = 0;
                for (NDArray p : trainer.parameters()) {
                    adapterBytes += p.getShape().size() * 4;
                }
                trainer.run(null, null);
                long afterTraining = heldBytes(model.manager());
                // the adapter, its gradients and two AdamW moments (fp32 each) may be added; no dense weight
                long allowed = quantisedHeld + 4 * adapterBytes + 64;
                assertTrue(afterTraining <= allowed, "after 3 QLoRA steps the model's managers hold " + afterTraining
                        + " bytes, more than NF4 + adapter state " + allowed + " (a dense projection is "
                        + 4 * 128 * 512 + " bytes)");
            }
        }
    }
}
