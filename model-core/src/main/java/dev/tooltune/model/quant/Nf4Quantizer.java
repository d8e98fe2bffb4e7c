package dev.tooltune.model.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tooltune.model.layers.Linear;
import dev.tooltune.model.layers.Projection;
import java.util.List;
import java.util.function.Function;

/** Turns a model's dense projections into NF4 ones in place (the first step of QLoRA). */
public final class Nf4Quantizer {

    private Nf4Quantizer() {}

    /**
     * Replaces each projection's layer by its NF4 quantisation and closes the dense layer, freeing its
     * weight. The NF4 layers belong to {@code parent} (the model's manager). {@code denseWeight} returns a layer's [out, in] weight.
     *
     * @return bytes of NF4 storage now held by the projections
     */
    public static long quantize(NDManager parent, List<Projection> projections, Function<Linear, NDArray> denseWeight) {
        long bytes = 0;
        for (Projection projection : projections) {
            Linear dense = projection.get();
            if (dense instanceof Nf4Linear nf4) {
                bytes += nf4.storageBytes();
                continue;
            }
            Nf4Linear nf4 = Nf4Linear.quantize(parent, denseWeight.apply(dense));
            projection.set(nf4);
            dense.close();
            bytes += nf4.storageBytes();
        }
        return bytes;
    }
}
