package dev.tooltune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    /** Gradients 3*[1,1,1,1] and 4*[1,1,1,1] (norm sqrt(4*9 + 4*16) = 10): measured, then scaled to the limit together. */
    @Test
    void measuresTheJointNormAndScalesAllGradientsToTheLimit() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray a = manager.ones(new ai.djl.ndarray.types.Shape(4));
            NDArray b = manager.ones(new ai.djl.ndarray.types.Shape(4));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(a.mul(manager.create(3f)).sum().add(b.mul(manager.create(4f)).sum()));
            }
            List<NDArray> parameters = List.of(a, b);
            assertEquals(10.0, GradientClipping.clipGlobalNorm(parameters, 0), 1e-5, "measure only");
            assertEquals(3f, a.getGradient().getFloat(0), 1e-6, "untouched without a limit");
            assertEquals(10.0, GradientClipping.clipGlobalNorm(parameters, 5), 1e-5, "norm before clipping");
            assertEquals(1.5f, a.getGradient().getFloat(2), 1e-5);
            assertEquals(2f, b.getGradient().getFloat(1), 1e-5);
            assertEquals(5.0, GradientClipping.clipGlobalNorm(parameters, 0), 1e-4, "joint norm now at the limit");
            assertEquals(5.0, GradientClipping.clipGlobalNorm(parameters, 6), 1e-4, "under the limit: unchanged");
            assertEquals(2f, b.getGradient().getFloat(1), 1e-5);
        }
    }
}
