package dev.tooltune.model.gemma3;

import dev.tooltune.model.config.Gemma3Config;
import java.util.ArrayList;
import java.util.List;

/**
 * Every parameter of a Gemma 3 text model, with Hugging Face's names and shapes, in transformers' state_dict
 * order. Loading, random initialisation and saving all walk this list.
 */
public final class ParameterLayout {

    /** One parameter: name like {@code model.layers.0.self_attn.q_proj.weight}, shape [out, in] or [dim]. */
    public record Entry(String name, long[] shape) {
        public boolean isNorm() {
            return name.endsWith("norm.weight");
        }

        public boolean isProjection() {
            return name.endsWith("_proj.weight");
        }
    }

    public static final List<String> ATTENTION_PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj");
    public static final List<String> MLP_PROJECTIONS = List.of("gate_proj", "up_proj", "down_proj");

    private ParameterLayout() {
    }

    public static List<Entry> of(Gemma3Config c) {
        long h = c.hiddenSize();
        long qOut = (long) c.numAttentionHeads() * c.headDim();
        long kvOut = (long) c.numKeyValueHeads() * c.headDim();
        long i = c.intermediateSize();
        long d = c.headDim();
        List<Entry> out = new ArrayList<>();
        out.add(new Entry("model.embed_tokens.weight", new long[] {c.vocabSize(), h}));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            out.add(new Entry(p + "self_attn.q_proj.weight", new long[] {qOut, h}));
            out.add(new Entry(p + "self_attn.k_proj.weight", new long[] {kvOut, h}));
            out.add(new Entry(p + "self_attn.v_proj.weight", new long[] {kvOut, h}));
            out.add(new Entry(p + "self_attn.o_proj.weight", new long[] {h, qOut}));
            out.add(new Entry(p + "self_attn.q_norm.weight", new long[] {d}));
            out.add(new Entry(p + "self_attn.k_norm.weight", new long[] {d}));
            out.add(new Entry(p + "mlp.gate_proj.weight", new long[] {i, h}));
            out.add(new Entry(p + "mlp.up_proj.weight", new long[] {i, h}));
            out.add(new Entry(p + "mlp.down_proj.weight", new long[] {h, i}));
            out.add(new Entry(p + "input_layernorm.weight", new long[] {h}));
            out.add(new Entry(p + "post_attention_layernorm.weight", new long[] {h}));
            out.add(new Entry(p + "pre_feedforward_layernorm.weight", new long[] {h}));
            out.add(new Entry(p + "post_feedforward_layernorm.weight", new long[] {h}));
        }
        out.add(new Entry("model.norm.weight", new long[] {h}));
        if (!c.tieWordEmbeddings()) {
            out.add(new Entry("lm_head.weight", new long[] {c.vocabSize(), h}));
        }
        return out;
    }

    /** Module name of a projection weight: {@code model.layers.3.self_attn.q_proj.weight -> ...q_proj}. */
    public static String moduleName(String weightName) {
        return weightName.substring(0, weightName.length() - ".weight".length());
    }
}
