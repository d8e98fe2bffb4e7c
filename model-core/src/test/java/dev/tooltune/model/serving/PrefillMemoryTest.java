package dev.tooltune.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue #21.1: a 30k-token prompt (500 tools) killed inference-service at 20 GB, since prefill attention was
 * materialised whole. Here the prompt is served in a JVM of its own (its resident set's high-water mark is the
 * request's alone) on the random {@code tiny} preset, whose context is 32,768 tokens.
 *
 * <p>Bound: the peak resident set grows at most {@link #BOUND_MIB} MiB over the warmed-up engine. Before chunked
 * prefill the same probe grew 242 / 1,048 / 4,197 MiB at 2k / 4k / 8k tokens (quadratic: 30k would need ~60 GB);
 * now 74 / 99 / 269 MiB at 4k / 8k / 30k, where the 30k prompt's own KV cache is 16 MiB and a step's mask over
 * 30k keys 15 MiB per layer kind (the rest is the allocator's pools).
 */
class PrefillMemoryTest {
    static final int BOUND_MIB = 512;

    @Test
    void aThirtyThousandTokenPromptFinishesWithinTheMemoryBound() throws Exception {
        Matcher result = probe(30_000);
        assertEquals("finished:4", result.group(1));
        long growth = Long.parseLong(result.group(2));
        assertTrue(growth < BOUND_MIB, "resident set grew " + growth + " MiB serving a 30k-token prompt (bound "
                + BOUND_MIB + " MiB)");
    }

    @Test
    void aPromptOverTheContextLimitIsRefusedWithoutAllocating() throws Exception {
        Matcher result = probe(40_000);
        assertEquals("refused", result.group(1));
    }

    /** Runs {@link PrefillMemoryProbe} in a fresh JVM; returns its RESULT line's outcome and growth. */
    static Matcher probe(int tokens) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), PrefillMemoryProbe.class.getName(), String.valueOf(tokens)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OMP_NUM_THREADS", "1");
        builder.environment().put("MALLOC_ARENA_MAX", "2");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), "probe did not finish");
        Matcher m = Pattern.compile("RESULT tokens=\\d+ outcome=(\\S+) .* growth_mib=(-?\\d+)").matcher(output);
        assertTrue(m.find(), "no RESULT line from the probe:\n" + output);
        System.out.println(output.lines().filter(l -> l.startsWith("RESULT")).findFirst().orElseThrow());
        return m;
    }
}
