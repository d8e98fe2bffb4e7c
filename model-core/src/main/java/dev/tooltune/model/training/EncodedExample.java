package dev.tooltune.model.training;

/**
 * One tokenized conversation: token ids and, per token, the weight of predicting it (1 for the
 * assistant's tokens that are trained on, tool calls included; 0 for system, user, tool schemas, tool
 * results and assistant turns with weight 0).
 */
public record EncodedExample(int[] tokenIds, float[] lossWeights) {

    public EncodedExample {
        if (tokenIds.length != lossWeights.length) {
            throw new IllegalArgumentException(tokenIds.length + " tokens but " + lossWeights.length + " loss weights");
        }
    }

    public int length() {
        return tokenIds.length;
    }

    /** The total weight of the targets this example trains on (token 0 is never a target). */
    public double trainedWeight() {
        double sum = 0;
        for (int t = 1; t < lossWeights.length; t++) {
            sum += lossWeights[t];
        }
        return sum;
    }

    public EncodedExample truncate(int maxLength) {
        if (tokenIds.length <= maxLength) {
            return this;
        }
        return new EncodedExample(java.util.Arrays.copyOf(tokenIds, maxLength), java.util.Arrays.copyOf(lossWeights, maxLength));
    }
}
