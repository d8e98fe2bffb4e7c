package dev.tooltune.model.serving;

import dev.tooltune.model.fixtures.RandomFixtures;

import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Run in its own JVM by {@link PrefillMemoryTest} (and by hand: {@code java -cp ... PrefillMemoryProbe 8192}): serves
 * one prompt of N random tokens on the random {@code tiny} preset (32k context) and prints the growth of the
 * resident set's high-water mark over what the model and a warmed-up engine take, as {@code RESULT ...}.
 */
public final class PrefillMemoryProbe {
    private PrefillMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        int tokens = Integer.parseInt(args[0]);
        int newTokens = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        Gemma3Config config = Gemma3Config.preset("tiny");
        try (Gemma3Model model = Gemma3Model.random(config, 3L, dev.tooltune.model.runtime.ModelRuntime.cpu());
             ServingEngine engine = ServingEngine.start(model, ServingConfig.defaults().withStopTokens(Set.of()))) {
            // warm-up: libtorch's allocator and the engine's first steps
            engine.submit(GenerationRequest.greedy(RandomFixtures.prompt(600, 1, 1000), 4)).result().get(5, TimeUnit.MINUTES);
            System.gc();
            long baseline = field("VmRSS:");
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");   // resets VmHWM to the current RSS
            long start = System.nanoTime();
            String outcome;
            try {
                Completion done = engine.submit(GenerationRequest.greedy(RandomFixtures.prompt(tokens, 2, 1000), newTokens))
                        .result().get(30, TimeUnit.MINUTES);
                outcome = "finished:" + done.tokens().length;
            } catch (IllegalArgumentException e) {
                outcome = "refused";
            }
            long peak = field("VmHWM:");
            System.out.printf("RESULT tokens=%d outcome=%s baseline_mib=%d peak_mib=%d growth_mib=%d heap_committed_mib=%d"
                            + " seconds=%.1f%n", tokens, outcome, baseline >> 20, peak >> 20, (peak - baseline) >> 20,
                    Runtime.getRuntime().totalMemory() >> 20, (System.nanoTime() - start) / 1e9);
        }
    }

    private static long field(String name) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
            }
        }
        throw new IllegalStateException("no " + name + " in /proc/self/status");
    }
}
