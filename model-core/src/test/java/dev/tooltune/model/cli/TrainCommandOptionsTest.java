package dev.tooltune.model.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingMethod;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainCommandOptionsTest {

    @Test
    void fullFineTuningKeepsItsOwnLearningRateUnlessOneIsGiven() {
        assertEquals(TrainingConfig.defaults(TrainingMethod.FULL).learningRate(),
                TrainCommand.trainingConfig(Map.of(), TrainingMethod.FULL).learningRate());
        assertEquals(TrainingConfig.defaults(TrainingMethod.LORA).learningRate(),
                TrainCommand.trainingConfig(Map.of(), TrainingMethod.LORA).learningRate());
        assertEquals(3e-3, TrainCommand.trainingConfig(Map.of("--lr", "3e-3"), TrainingMethod.FULL).learningRate());
    }

    @Test
    void onlyGivenOptionsOverrideTheDefaults() {
        TrainingConfig config = TrainCommand.trainingConfig(Map.of("--epochs", "7", "--rank", "4"), TrainingMethod.LORA);
        TrainingConfig defaults = TrainingConfig.defaults(TrainingMethod.LORA);
        assertEquals(7, config.epochs());
        assertEquals(4, config.lora().rank());
        assertEquals(defaults.lora().alpha(), config.lora().alpha());
        assertEquals(defaults.batchSize(), config.batchSize());
        assertEquals(defaults.seed(), config.seed());
    }
}
