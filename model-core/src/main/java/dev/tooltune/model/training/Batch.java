package dev.tooltune.model.training;

import java.util.ArrayList;
import java.util.List;

/**
 * A training batch of {@code rows} sequences of {@code length} tokens, row-major. Several examples may
 * share a row (packing); {@code segmentIds} tells them apart (1, 2, ... per row; 0 is padding) and the
 * model lets a token attend only to earlier tokens of its own segment. Positions restart at 0 in each
 * segment. {@code targets[i]} is the next token of the same segment and {@code targetWeights[i]} its loss
 * weight (0 at a segment's last token and on padding).
 */
public record Batch(
        int rows, int length, long[] inputIds, long[] positions, long[] segmentIds, long[] targets, float[] targetWeights,
        int realTokens) {

    /** The sum of target weights: the batch's share of the loss normaliser. */
    public double trainedWeight() {
        double sum = 0;
        for (float w : targetWeights) {
            sum += w;
        }
        return sum;
    }

    /** One example per row, padded on the right to the longest. */
    public static Batch padded(List<EncodedExample> examples) {
        int length = 0;
        for (EncodedExample example : examples) {
            length = Math.max(length, example.length());
        }
        List<List<EncodedExample>> rows = new ArrayList<>();
        for (EncodedExample example : examples) {
            rows.add(List.of(example));
        }
        return build(rows, length);
    }

    /**
     * Packs examples (in the given order) first-fit into rows of {@code maxLength} tokens and groups the
     * rows {@code rowsPerBatch} at a time. Examples longer than {@code maxLength} must be truncated first.
     */
    public static List<Batch> packed(List<EncodedExample> examples, int maxLength, int rowsPerBatch) {
        List<List<EncodedExample>> rows = new ArrayList<>();
        List<Integer> used = new ArrayList<>();
        for (EncodedExample example : examples) {
            if (example.length() > maxLength) {
                throw new IllegalArgumentException("example of " + example.length() + " tokens does not fit a row of " + maxLength);
            }
            int row = -1;
            for (int r = 0; r < rows.size(); r++) {
                if (used.get(r) + example.length() <= maxLength) {
                    row = r;
                    break;
                }
            }
            if (row < 0) {
                rows.add(new ArrayList<>());
                used.add(0);
                row = rows.size() - 1;
            }
            rows.get(row).add(example);
            used.set(row, used.get(row) + example.length());
        }
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < rows.size(); start += rowsPerBatch) {
            List<List<EncodedExample>> group = rows.subList(start, Math.min(rows.size(), start + rowsPerBatch));
            int length = 0;
            for (int r = start; r < start + group.size(); r++) {
                length = Math.max(length, used.get(r));
            }
            batches.add(build(group, length));
        }
        return batches;
    }

    private static Batch build(List<List<EncodedExample>> rows, int length) {
        int size = rows.size() * length;
        long[] ids = new long[size];
        long[] positions = new long[size];
        long[] segments = new long[size];
        long[] targets = new long[size];
        float[] weights = new float[size];
        int real = 0;
        for (int r = 0; r < rows.size(); r++) {
            int offset = r * length;
            int segment = 0;
            for (EncodedExample example : rows.get(r)) {
                segment++;
                int n = example.length();
                for (int t = 0; t < n; t++) {
                    ids[offset + t] = example.tokenIds()[t];
                    positions[offset + t] = t;
                    segments[offset + t] = segment;
                    if (t + 1 < n) {
                        targets[offset + t] = example.tokenIds()[t + 1];
                        weights[offset + t] = example.lossWeights()[t + 1];
                    }
                }
                offset += n;
                real += n;
            }
        }
        return new Batch(rows.size(), length, ids, positions, segments, targets, weights, real);
    }
}
