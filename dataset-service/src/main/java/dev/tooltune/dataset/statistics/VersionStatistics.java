package dev.tooltune.dataset.statistics;

import java.util.List;
import java.util.Map;

/** What a version holds, for deciding how to train on it (e.g. which maximum sequence length to pick). */
public record VersionStatistics(
        int version,
        long examples,
        long valid,
        long invalid,
        Messages messages,
        ToolCalls toolCalls,
        Tokens tokens) {

    /** {@code perExample}: number of messages -> number of examples with that many. */
    public record Messages(long total, int min, int max, double mean, Map<Integer, Long> perExample) {}

    /** {@code perTool}: tool name -> calls of it, most called first. */
    public record ToolCalls(long total, long examplesWithCalls, long examplesWithoutCalls,
                            long examplesWithParallelCalls, Map<String, Long> perTool) {}

    /**
     * Gemma 3 tokens per example in Gemma's chat format; {@code unavailable} says why when the tokenizer could not
     * be loaded (then the other fields are empty); {@code pending} examples are still being counted in the
     * background. Histogram buckets are [from, to) in powers of two.
     */
    public record Tokens(String tokenizer, String unavailable, long counted, long pending, long total, int min, int max, double mean,
                         int p50, int p90, int p99, List<Bucket> histogram) {}

    public record Bucket(int from, int to, long examples) {}
}
