package dev.tooltune.model.serving;

import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.lora.LoraLinear;
import dev.tooltune.model.lora.PeftAdapterFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;
import java.util.Set;

/** Random prompts and random (non-zero) PEFT adapters for the serving tests. */
final class ServingFixtures {
    private ServingFixtures() {}

    static int[] prompt(int n, int seed, int vocab) {
        Random r = new Random(seed);
        int[] out = new int[n];
        out[0] = 2;
        for (int i = 1; i < n; i++) {
            out[i] = 3 + r.nextInt(vocab - 3);
        }
        return out;
    }

    /** A LoRA adapter with random A and B (B large enough to change greedy tokens), saved as a PEFT directory. */
    static Path adapter(Gemma3Model model, Path directory, int rank, Set<String> modules, long seed) {
        LoraConfig config = new LoraConfig(rank, 2 * rank, 0.0, modules, false);
        try (LoraAdapter adapter = LoraAdapter.create(model.manager(), config, new ArrayList<>(model.projections().values()), seed)) {
            Random random = new Random(seed);
            for (LoraLinear layer : adapter.layers().values()) {
                float[] b = new float[(int) layer.loraB().size()];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) (random.nextGaussian() * 0.5);
                }
                layer.loraB().set(b);
            }
            PeftAdapterFiles.save(adapter, directory, "test");
        }
        return directory;
    }
}
