package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.layers.Projection;
import dev.tooltune.model.lora.MergedExport;
import dev.tooltune.model.quant.Nf4Quantizer;
import java.util.ArrayList;
import java.util.List;

/** The trainer's view of a {@link Gemma3Model}. */
public final class GemmaCausalLm implements CausalLm {

    private final Gemma3Model model;

    public GemmaCausalLm(Gemma3Model model) {
        this.model = model;
    }

    public Gemma3Model model() {
        return model;
    }

    /** QLoRA's first step: every projection to NF4 (dense weights freed). Returns NF4 storage bytes. */
    public long quantizeProjections() {
        return Nf4Quantizer.quantize(model.manager(), projections(), MergedExport::denseWeight);
    }

    @Override
    public NDArray hiddenStates(NDArray inputIds, NDArray positions, NDArray segmentIds, boolean training) {
        return model.hiddenStates(ModelInput.of(inputIds, positions).withSegments(segmentIds), training);
    }

    @Override
    public void activationCheckpointing(boolean enabled) {
        model.setActivationCheckpointing(enabled);
    }

    @Override
    public NDArray outputEmbedding() {
        NDArray head = model.parameters().get("lm_head.weight");
        return head != null ? head : model.embedding();
    }

    @Override
    public double finalLogitSoftcapping() {
        Double cap = model.config().finalLogitSoftcapping();
        return cap == null ? 0 : cap;
    }

    @Override
    public List<Projection> projections() {
        return new ArrayList<>(model.projections().values());
    }

    @Override
    public List<NDArray> parameters() {
        List<NDArray> out = new ArrayList<>();
        model.parameters().values().forEach(array -> {
            if (array != null) {
                out.add(array);
            }
        });
        return out;
    }

    @Override
    public NDManager manager() {
        return model.manager();
    }
}
