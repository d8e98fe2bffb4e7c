package dev.tooltune.model.generation;

import java.util.List;

/** What {@link Generator#generate} produced, per row, plus timings for tokens/s. */
public record GenerationResult(List<Sequence> sequences, int promptTokens, long prefillNanos, long decodeNanos,
                               int decodeSteps) {

    /**
     * One row's output. {@code tokens} excludes the stop token; {@code finishReason} is "stop" or "length" (max
     * tokens or the model's context). {@code stopToken} says which stop token fired, if any.
     */
    public record Sequence(int[] tokens, String finishReason, Integer stopToken) {
    }

    public int generatedTokens() {
        return sequences.stream().mapToInt(s -> s.tokens().length + (s.stopToken() != null ? 1 : 0)).sum();
    }

    /** Prompt tokens per second until every row had its first token (all rows' prefill). */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens / (prefillNanos / 1e9);
    }

    /** Generated tokens per second over the decode steps after the last first token (all rows together). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : (double) decodeSteps * sequences.size() / (decodeNanos / 1e9);
    }
}
