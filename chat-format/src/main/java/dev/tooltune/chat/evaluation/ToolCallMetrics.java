package dev.tooltune.chat.evaluation;

import java.util.List;

/**
 * Tool-calling quality over an eval set; what the trainer publishes before and after training.
 * Rates are in [0, 1]; a rate whose denominator is zero is reported as 0, and its count (e.g. {@code predictedCalls}) says so.
 *
 * @param examples             eval examples scored
 * @param exactMatch           examples whose whole call set matched (with no call expected: none made)
 * @param functionNameAccuracy of examples expecting calls: the predicted names equal the reference's as a multiset
 * @param argumentAccuracy     of reference calls: matched by a predicted call with AST-equal arguments
 * @param jsonValidityRate     of predicted calls: arguments parse as a JSON object
 * @param abstentionAccuracy   of examples expecting no call: no call was made
 * @param examplesWithCalls    examples whose reference makes at least one call
 * @param examplesWithoutCalls examples whose reference answers in text
 * @param expectedCalls        reference calls in all examples
 * @param predictedCalls       generated calls in all examples
 */
public record ToolCallMetrics(
        int examples,
        double exactMatch,
        double functionNameAccuracy,
        double argumentAccuracy,
        double jsonValidityRate,
        double abstentionAccuracy,
        int examplesWithCalls,
        int examplesWithoutCalls,
        int expectedCalls,
        int predictedCalls) {

    public static ToolCallMetrics of(List<ToolCallScorer.ExampleScore> scores) {
        int exact = 0;
        int withCalls = 0;
        int namesRight = 0;
        int expected = 0;
        int matched = 0;
        int predicted = 0;
        int valid = 0;
        int withoutCalls = 0;
        int abstained = 0;
        for (ToolCallScorer.ExampleScore score : scores) {
            exact += score.exactMatch() ? 1 : 0;
            expected += score.expectedCalls();
            matched += score.matchedCalls();
            predicted += score.predictedCalls();
            valid += score.validJsonCalls();
            if (score.expectsCall()) {
                withCalls++;
                namesRight += score.namesMatch() ? 1 : 0;
            } else {
                withoutCalls++;
                abstained += score.abstained() ? 1 : 0;
            }
        }
        return new ToolCallMetrics(scores.size(), rate(exact, scores.size()), rate(namesRight, withCalls),
                rate(matched, expected), rate(valid, predicted), rate(abstained, withoutCalls),
                withCalls, withoutCalls, expected, predicted);
    }

    private static double rate(int count, int total) {
        return total == 0 ? 0.0 : (double) count / total;
    }
}
