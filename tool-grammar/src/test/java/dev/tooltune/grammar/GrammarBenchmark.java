package dev.tooltune.grammar;

import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Mask time per token and compile time per tool set over the real Gemma 3 vocabulary, for the sample data's tool
 * sets, with random logits (no model). Prints a Markdown table; bench/grammar.sh writes it to bench/results.
 *
 * <p>Arguments: generations per tool set and mode (default 40), seed (default 1).
 */
public final class GrammarBenchmark {
    /** Decode step times of bench/results/model-core-inference.md (batch 1, decode tokens/s 12.31 and 2.72). */
    private static final double TINY_STEP_US = 1e6 / 12.31;
    private static final double M270_STEP_US = 1e6 / 2.72;

    public static void main(String[] args) {
        int generations = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        GemmaTokenizer tokenizer = GemmaTokenizer.loadDefault();
        long t0 = System.nanoTime();
        GrammarVocabulary vocabulary = GrammarVocabulary.of(tokenizer);
        double vocabularyMs = (System.nanoTime() - t0) / 1e6;
        ConstrainedDecoding decoding = new ConstrainedDecoding(vocabulary, ConstrainedDecoding.Options.DEFAULTS);
        long p0 = System.nanoTime();
        decoding.prepareSharedMasks();
        double sharedMs = (System.nanoTime() - p0) / 1e6;
        System.err.printf("vocabulary: %d tokens, %d trie nodes, longest token %d bytes, built in %.0f ms%n",
                vocabulary.vocabSize(), vocabulary.trie().nodeCount(), vocabulary.trie().maxDepth(), vocabularyMs);
        Random random = new Random(seed);
        StringBuilder table = new StringBuilder();
        table.append("| tool set | mode | compile ms | first mask ms | steps | mask median us | mask p99 us | mask max us"
                + " | median share of a tiny decode step | of a 270M decode step |\n");
        table.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        List<Long> all = new ArrayList<>();
        // Thread CPU time of each call as well: on a loaded machine the wall time includes waiting for a core.
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        List<Long> cpu = new ArrayList<>();
        for (Map.Entry<String, List<ToolDefinition>> set : SampleTools.TOOL_SETS.entrySet()) {
            for (ToolChoice choice : List.of(ToolChoice.AUTO, ToolChoice.REQUIRED)) {
                long c0 = System.nanoTime();
                Grammar grammar = decoding.toolGrammar(set.getValue(), choice, true);
                double compileMs = (System.nanoTime() - c0) / 1e6;
                List<Long> times = new ArrayList<>();
                double firstMaskMs = -1;
                for (int g = 0; g < generations; g++) {
                    TokenConstraint constraint = grammar.newConstraint();
                    long[] mask = new long[vocabulary.trie().maskWords()];
                    for (int step = 0; step < BUDGET && !constraint.isDone(); step++) {
                        long cpu0 = threads.getCurrentThreadCpuTime();
                        long m0 = System.nanoTime();
                        constraint.allowedTokens(mask, BUDGET - step);
                        long elapsed = System.nanoTime() - m0;
                        cpu.add(threads.getCurrentThreadCpuTime() - cpu0);
                        if (firstMaskMs < 0) {
                            firstMaskMs = elapsed / 1e6;
                        }
                        times.add(elapsed);
                        if (constraint.canStop() && random.nextInt(4) == 0) {
                            break;
                        }
                        constraint.accept(pick(mask, random, tokenizer));
                    }
                }
                all.addAll(times);
                long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
                double median = sorted[sorted.length / 2] / 1e3;
                table.append(String.format("| %s | %s | %.1f | %.1f | %d | %.1f | %.1f | %.0f | %.3f%% | %.4f%% |%n",
                        set.getKey(), choice.getClass().getSimpleName().toLowerCase(), compileMs, firstMaskMs,
                        sorted.length, median, percentile(sorted, 0.99) / 1e3, sorted[sorted.length - 1] / 1e3,
                        100 * median / TINY_STEP_US, 100 * median / M270_STEP_US));
                System.err.printf("%s %s done%n", set.getKey(), choice);
            }
        }
        long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
        table.append(String.format("| **all** | | | | %d | %.1f | %.1f | %.0f | %.3f%% | %.4f%% |%n", sorted.length,
                sorted[sorted.length / 2] / 1e3, percentile(sorted, 0.99) / 1e3, sorted[sorted.length - 1] / 1e3,
                100 * sorted[sorted.length / 2] / 1e3 / TINY_STEP_US, 100 * sorted[sorted.length / 2] / 1e3 / M270_STEP_US));
        long[] cpuSorted = cpu.stream().mapToLong(Long::longValue).sorted().toArray();
        table.append(String.format("%nThread CPU time of the same %d calls (what the call computed, without the waits"
                + " for a core that a loaded machine adds): median %.1f us, p99 %.1f us, max %.0f us.%n", cpuSorted.length,
                cpuSorted[cpuSorted.length / 2] / 1e3, percentile(cpuSorted, 0.99) / 1e3,
                cpuSorted[cpuSorted.length - 1] / 1e3));
        System.out.print(table);
        System.out.printf("%nOnce per tokenizer: token trie over %d tokens (%d nodes, longest token %d bytes) %.0f ms;"
                + " shared masks (text, strings) %.0f ms.%n", vocabulary.vocabSize(), vocabulary.trie().nodeCount(),
                vocabulary.trie().maxDepth(), vocabularyMs, sharedMs);
    }

    /** max_tokens of each generation: the mask keeps every call completable within it (tight masks included). */
    private static final int BUDGET = 256;

    private static double percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    /** A random allowed token: three times in four one with JSON or fence syntax, so that values close. */
    static int pick(long[] mask, Random random, GemmaTokenizer tokenizer) {
        int count = 0;
        for (long word : mask) {
            count += Long.bitCount(word);
        }
        for (int attempt = 0; attempt < 64; attempt++) {
            int token = nth(mask, random.nextInt(count));
            if (random.nextInt(4) == 0 || tokenizer.isSpecial(token)) {
                return token;
            }
            for (byte b : tokenizer.tokenBytesView(token)) {
                if ("\"{}[],`\n".indexOf(b) >= 0) {
                    return token;
                }
            }
        }
        return nth(mask, random.nextInt(count));
    }

    private static int nth(long[] mask, int k) {
        for (int w = 0; w < mask.length; w++) {
            int bits = Long.bitCount(mask[w]);
            if (k < bits) {
                long word = mask[w];
                for (; k > 0; k--) {
                    word &= word - 1;
                }
                return w << 6 | Long.numberOfTrailingZeros(word);
            }
            k -= bits;
        }
        throw new IllegalStateException("empty mask");
    }

}
