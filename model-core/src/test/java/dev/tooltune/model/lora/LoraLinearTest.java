package dev.tooltune.model.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tooltune.model.layers.DenseLinear;
import dev.tooltune.model.layers.Linear;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.quant.Nf4Linear;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoraLinearTest {

    /** The simplest base layer: y = x W^T. */
    @Test
    void scalingFollowsLoraOrRsLora() {
        assertEquals(2.0, new LoraConfig(8, 16, 0, Set.of("q"), false).scaling());
        assertEquals(16 / Math.sqrt(8), new LoraConfig(8, 16, 0, Set.of("q"), true).scaling(), 1e-12);
        assertEquals(Set.of("q_proj", "down_proj"), new LoraConfig(4, 8, 0, Set.of("down", "q_proj"), false).targetModules());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new LoraConfig(4, 8, 0, Set.of("lm_head"), false));
        assertTrue(bad.getMessage().contains("lm_head"));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 8, 0, Set.of("q"), false));
    }

    @Test
    void freshAdapterLeavesOutputsUnchangedAndSharesTheBase() {
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseLinear q = new DenseLinear(manager.randomNormal(new Shape(8, 16)));
            DenseLinear up = new DenseLinear(manager.randomNormal(new Shape(32, 16)));
            List<Projection> projections = List.of(
                    new Projection("model.layers.0.self_attn.q_proj", q),
                    new Projection("model.layers.0.mlp.up_proj", up));
            try (LoraAdapter adapter = LoraAdapter.create(manager, LoraConfig.of(4, 8, "q"), projections, 7)) {
                adapter.attach();
                assertTrue(projections.get(0).get() instanceof LoraLinear);
                assertSame(up, projections.get(1).get());
                LoraLinear lora = (LoraLinear) projections.get(0).get();
                assertSame(q, lora.base());
                NDArray x = manager.randomNormal(new Shape(3, 16));
                assertTrue(q.forward(x, false).allClose(lora.forward(x, true), 0, 0, false));
                // kaiming-uniform(a = sqrt 5): |A| <= 1/sqrt(in)
                float max = lora.loraA().abs().max().getFloat();
                assertTrue(max <= 0.25f && max > 0.1f, "A bound " + max);
                assertEquals(List.of("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"), List.copyOf(adapter.peftTensors().keySet()));
            }
            assertSame(q, projections.get(0).get(), "closing the adapter restores the base layer");
        }
    }

    /**
     * Regression: DJL backs mul(Number)'s scalar with a Java buffer; if a layer closed it before backward, a GC
     * in between freed memory autograd still read, and gradients came out as garbage or NaN.
     */
    @Test
    void gradientsSurviveGarbageCollectionBetweenForwardAndBackward() throws InterruptedException {
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseLinear q = new DenseLinear(manager.randomNormal(new Shape(8, 16)));
            List<Projection> projections = List.of(new Projection("model.layers.0.self_attn.q_proj", q));
            try (LoraAdapter adapter = LoraAdapter.create(manager, LoraConfig.of(4, 8, "q"), projections, 3)) {
                LoraLinear lora = adapter.layers().get("model.layers.0.self_attn.q_proj");
                lora.loraB().set(manager.randomNormal(new Shape(8, 4)).toFloatArray());
                adapter.attach();
                adapter.requireGradients();
                NDArray x = manager.randomNormal(new Shape(3, 16));
                try (NDManager step = manager.newSubManager();
                        GradientCollector collector = manager.getEngine().newGradientCollector()) {
                    NDArray input = x.duplicate();
                    input.attach(step);
                    NDArray y = projections.get(0).get().forward(input, true).sum();
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                        Thread.sleep(20);
                    }
                    collector.backward(y);
                }
                NDArray expected = x.matMul(lora.loraA().transpose()).sum(new int[] {0}).mul(2.0).broadcast(new Shape(8, 4));
                assertTrue(expected.allClose(lora.loraB().getGradient(), 1e-4, 1e-4, false),
                        "B gradient after GC: " + java.util.Arrays.toString(lora.loraB().getGradient().toFloatArray()) + " expected " + java.util.Arrays.toString(expected.toFloatArray()));
            }
        }
    }

    @Test
    void outputIsBasePlusScaledLowRankUpdateAndOnlyAdapterGetsGradients() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.randomNormal(new Shape(8, 64));
            for (Linear base : List.of(new DenseLinear(weight), Nf4Linear.quantize(weight))) {
                List<Projection> projections = List.of(new Projection("model.layers.0.self_attn.v_proj", base));
                try (LoraAdapter adapter = LoraAdapter.create(manager, new LoraConfig(2, 6, 0, Set.of("v"), false), projections, 1)) {
                    LoraLinear lora = adapter.layers().get("model.layers.0.self_attn.v_proj");
                    lora.loraB().set(manager.randomNormal(new Shape(8, 2)).toFloatArray());
                    adapter.attach();
                    adapter.requireGradients();
                    NDArray x = manager.randomNormal(new Shape(5, 64));
                    NDArray expected = base.forward(x, false)
                            .add(x.matMul(lora.loraA().transpose()).matMul(lora.loraB().transpose()).mul(3.0));
                    try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
                        NDArray y = projections.get(0).get().forward(x, true);
                        assertTrue(expected.allClose(y, 1e-4, 1e-4, false));
                        collector.backward(y.sum());
                    }
                    // d sum(y) / dB = scaling * 1^T (x A^T), the same row for every output
                    NDArray expectedGradB = x.matMul(lora.loraA().transpose()).sum(new int[] {0}).mul(3.0)
                            .broadcast(new Shape(8, 2));
                    assertTrue(expectedGradB.allClose(lora.loraB().getGradient(), 1e-4, 1e-4, false));
                    assertTrue(lora.delta().getShape().equals(new Shape(8, 64)));
                }
            }
        }
    }
}
