package dev.tooltune.model.gemma3;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.config.RopeParameters;
import java.util.List;

/** Small configurations that still have every feature: both layer kinds, GQA, a short window, rope scaling. */
public final class TestModels {
    private TestModels() {
    }

    /** 5 layers (S,S,F,S,F), window 4, 4 query heads over 2 KV heads, linear RoPE scaling on full layers. */
    public static Gemma3Config config() {
        Gemma3Config.Builder b = new Gemma3Config.Builder();
        b.vocabSize = 300;
        b.hiddenSize = 32;
        b.intermediateSize = 48;
        b.numHiddenLayers = 5;
        b.numAttentionHeads = 4;
        b.numKeyValueHeads = 2;
        b.headDim = 8;
        b.queryPreAttnScalar = 8;
        b.slidingWindow = 4;
        b.layerTypes = List.of(Gemma3Config.SLIDING, Gemma3Config.SLIDING, Gemma3Config.FULL, Gemma3Config.SLIDING,
                Gemma3Config.FULL);
        b.globalRope = new RopeParameters("linear", 1_000_000.0, 8.0);
        b.localRope = RopeParameters.plain(10_000.0);
        b.maxPositionEmbeddings = 512;
        return b.build();
    }

    public static Gemma3Config withSoftcapping() {
        Gemma3Config.Builder b = config().toBuilder();
        b.attnLogitSoftcapping = 2.0;
        b.finalLogitSoftcapping = 3.0;
        b.tieWordEmbeddings = false;
        return b.build();
    }

    /** Larger weights than transformers' init so logits are far from ties and norms matter. */
    public static Gemma3Model model(Gemma3Config config, long seed) {
        return Gemma3Model.random(config, new RandomInit(seed, 0.15, 0.3), DataType.FLOAT32, Device.cpu());
    }
}
