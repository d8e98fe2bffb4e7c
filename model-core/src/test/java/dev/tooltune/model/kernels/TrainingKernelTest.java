package dev.tooltune.model.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class TrainingKernelTest {

    @Test
    void parsesAllNoneAndListsAndNamesAnUnknownKernel() {
        assertEquals(EnumSet.allOf(TrainingKernel.class), TrainingKernel.parse(null));
        assertEquals(EnumSet.allOf(TrainingKernel.class), TrainingKernel.parse(" ALL "));
        assertTrue(TrainingKernel.parse("none").isEmpty());
        assertEquals(EnumSet.of(TrainingKernel.CROSS_ENTROPY, TrainingKernel.VARLEN_ATTENTION),
                TrainingKernel.parse("cross_entropy, Varlen_Attention"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingKernel.parse("cross_entropy,flash"));
        assertTrue(e.getMessage().contains("'flash'") && e.getMessage().contains(TrainingKernel.ENV), e.getMessage());
    }

    @Test
    void withoutTheNativeLibraryEveryKernelIsOffWhateverIsAsked() {
        // CI's CPU path: the DJL fallbacks must run, not a missing native method
        assumeFalse(Kernels.available(), "the native library is loaded");
        Kernels.setTrainingKernels(EnumSet.allOf(TrainingKernel.class));
        for (TrainingKernel kernel : TrainingKernel.values()) {
            assertFalse(Kernels.enabled(kernel), kernel + " on without the library");
        }
        assertTrue(Kernels.trainingKernels().isEmpty());
    }
}
