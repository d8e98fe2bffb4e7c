package dev.tooltune.model.generation;

import java.util.List;

/** What {@link Generator#generate} produced, per row, plus timings for tokens/s. */
public record GenerationResult(List<Sequence> sequences, int promptTokens, long prefillNanos, long decodeNanos,
                               int decodeSteps) {

    /**
     * One row's output. {@code tokens} excludes the stop token; {@code finishReason} is "stop" (stop token or
     * string) or "length" (max tokens). {@code stopToken} / {@code stopString} say which stop fired, if any.
     */
    public record Sequence(int[] tokens, String finishReason, Integer stopToken, String stopString) {
    }

    public int generatedTokens() {
        return sequences.stream().mapToInt(s -> s.tokens().length + (s.stopToken() != null ? 1 : 0)).sum();
    }

    /** Prompt tokens per second of the first forward pass (all rows). */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens / (prefillNanos / 1e9);
    }

    /** Generated tokens per second over the decode steps (all rows together). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : (double) decodeSteps * sequences.size() / (decodeNanos / 1e9);
    }
}
