package dev.tooltune.model.training;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code maxLength} cut from a dataset: examples shortened, tokens dropped, trained (assistant)
 * targets dropped, and examples left with nothing to train on, which are skipped (their indices listed so
 * a user can find them).
 */
public record TruncationReport(
        int maxLength,
        int examples,
        int truncatedExamples,
        long droppedTokens,
        double droppedTrainedWeight,
        List<Integer> skippedExamples,
        int longestExample) {

    /** Truncates every example to {@code maxLength} and drops those without a trained target left. */
    public static Result apply(List<EncodedExample> examples, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length must be at least 2 tokens, got " + maxLength);
        }
        List<EncodedExample> kept = new ArrayList<>();
        List<Integer> keptIndices = new ArrayList<>();
        List<Integer> skipped = new ArrayList<>();
        int truncated = 0;
        long dropped = 0;
        double droppedWeight = 0;
        int longest = 0;
        for (int i = 0; i < examples.size(); i++) {
            EncodedExample example = examples.get(i);
            longest = Math.max(longest, example.length());
            EncodedExample cut = example.truncate(maxLength);
            if (cut != example) {
                truncated++;
                dropped += example.length() - cut.length();
                droppedWeight += example.trainedWeight() - cut.trainedWeight();
            }
            if (cut.trainedWeight() > 0) {
                kept.add(cut);
                keptIndices.add(i);
            } else {
                skipped.add(i);
            }
        }
        return new Result(kept, keptIndices,
                new TruncationReport(maxLength, examples.size(), truncated, dropped, droppedWeight, List.copyOf(skipped), longest));
    }

    public record Result(List<EncodedExample> examples, List<Integer> originalIndices, TruncationReport report) {}

    @Override
    public String toString() {
        return String.format("max length %d: %d of %d examples truncated (%d tokens, %.0f trained targets dropped), %d skipped with nothing left to train on%s; longest %d tokens",
                maxLength, truncatedExamples, examples, droppedTokens, droppedTrainedWeight, skippedExamples.size(),
                skippedExamples.isEmpty() ? "" : " (examples " + skippedExamples.subList(0, Math.min(10, skippedExamples.size())) + (skippedExamples.size() > 10 ? ", ..." : "") + ")",
                longestExample);
    }
}
