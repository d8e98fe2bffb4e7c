package dev.tooltune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.DatasetRef;
import dev.tooltune.contracts.jobs.Hyperparameters;
import dev.tooltune.contracts.jobs.LearningRateDecay;
import dev.tooltune.contracts.jobs.LoraSettings;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.validation.Violations;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every valid contract value, at the edges of its range, must map onto a TrainingConfig the trainer accepts. */
class JobTrainingConfigTest {

    private static TrainingJob job(dev.tooltune.contracts.jobs.TrainingMethod method, Hyperparameters h, LoraSettings lora) {
        TrainingJob job = new TrainingJob("job-1", "acme", Instant.EPOCH, new BaseModel("tooltune/gemma-3-tiny-random", null),
                new DatasetRef("7", 1), null, method, h, lora, 5L, "bot");
        Violations violations = new Violations();
        job.validate(violations);
        assertTrue(violations.isEmpty(), () -> "the test job must be valid: " + violations.list());
        return job;
    }

    @Test
    void everyValidValueMaps() {
        List<Hyperparameters> edges = List.of(
                new Hyperparameters(1, Double.MIN_VALUE, 1, 1, 16),
                new Hyperparameters(1000, 1.0, 4096, 4096, 131_072),
                new Hyperparameters(2, 1e-4, 2, 3, 512, 0, LearningRateDecay.COSINE, 0.0, 0.0, false, 0),
                new Hyperparameters(2, 1e-4, 2, 3, 512, 1_000_000, LearningRateDecay.LINEAR, 1.0, 1_000_000.0, true, 1_000_000),
                new Hyperparameters(2, 1e-4, 2, 3, 512, 10, LearningRateDecay.CONSTANT, 0.1, 0.5, true, 5));
        List<LoraSettings> loras = List.of(
                new LoraSettings(1, Double.MIN_VALUE, 0.0, List.of("q_proj"), false),
                new LoraSettings(1024, 1e6, 0.999, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), true));
        for (Hyperparameters h : edges) {
            for (var method : dev.tooltune.contracts.jobs.TrainingMethod.values()) {
                for (LoraSettings lora : method.usesAdapters() ? loras : java.util.Collections.<LoraSettings>singletonList(null)) {
                    TrainingConfig config = JobTrainingConfig.of(job(method, h, lora), 7);
                    assertEquals(method.name(), config.method().name());
                    assertEquals(h.epochs(), config.epochs());
                    assertEquals(h.learningRate(), config.learningRate());
                    assertEquals(h.batchSize(), config.batchSize());
                    assertEquals(h.gradientAccumulationSteps(), config.gradientAccumulation());
                    assertEquals(h.maxLength(), config.maxLength());
                    assertEquals(5L, config.seed());
                    assertEquals(7, config.checkpointEvery());
                    if (h.lrSchedule() != null) {
                        assertEquals(h.lrSchedule().name(), config.decay().name());
                        assertEquals(h.warmupSteps(), config.warmupSteps());
                        assertEquals(h.weightDecay(), config.weightDecay());
                        assertEquals(h.maxGradNorm(), config.maxGradNorm());
                        assertEquals(h.packing(), config.packing());
                        assertEquals(h.evalEvery(), config.evalEvery());
                    }
                    if (lora != null) {
                        assertEquals(lora.rank(), config.lora().rank());
                        assertEquals(lora.alpha(), config.lora().alpha());
                        assertEquals(lora.dropout(), config.lora().dropout());
                        assertEquals(Set(lora.targetModules()), config.lora().targetModules());
                        assertEquals(lora.rsLora(), config.lora().useRslora());
                    } else {
                        assertNull(config.lora());
                    }
                }
            }
        }
    }

    @Test
    void absentOptionalSettingsAreTheMethodDefaults() {
        TrainingConfig full = JobTrainingConfig.of(job(dev.tooltune.contracts.jobs.TrainingMethod.FULL,
                new Hyperparameters(1, 1e-5, 1, 1, 64), null), 0);
        TrainingConfig defaults = TrainingConfig.defaults(TrainingMethod.FULL);
        assertEquals(defaults.decay(), full.decay());
        assertEquals(defaults.maxGradNorm(), full.maxGradNorm());
        assertEquals(defaults.warmupSteps(), full.warmupSteps());
    }

    @Test
    void aTargetModuleGemmaLacksIsRefusedByName() {
        var error = assertThrows(IllegalArgumentException.class, () -> JobTrainingConfig.of(job(
                dev.tooltune.contracts.jobs.TrainingMethod.LORA, new Hyperparameters(1, 1e-4, 1, 1, 64),
                new LoraSettings(4, 8.0, 0.0, List.of("c_attn"), false)), 0));
        assertTrue(error.getMessage().contains("lora.targetModules: 'c_attn'"), error.getMessage());
    }

    private static java.util.Set<String> Set(List<String> names) {
        return java.util.Set.copyOf(names);
    }
}
