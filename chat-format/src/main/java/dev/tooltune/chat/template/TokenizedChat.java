package dev.tooltune.chat.template;

/**
 * A conversation as token ids with one loss weight per token (0 = not trained), possibly cut to a maximum
 * length. {@code originalLength} is the length before cutting; {@code truncatedTrainedTokens} counts cut tokens
 * that had a non-zero weight, so a trainer can report or skip examples that lost their targets.
 */
public record TokenizedChat(int[] tokenIds, float[] lossWeights, int originalLength, int truncatedTrainedTokens) {

    public TokenizedChat {
        if (tokenIds.length != lossWeights.length) {
            throw new IllegalArgumentException(tokenIds.length + " tokens but " + lossWeights.length + " weights");
        }
    }

    public int length() {
        return tokenIds.length;
    }

    /** Tokens cut off the end by the maximum length. */
    public int truncatedTokens() {
        return originalLength - tokenIds.length;
    }

    public boolean truncated() {
        return originalLength > tokenIds.length;
    }

    /** Tokens with a non-zero loss weight. */
    public int trainedTokenCount() {
        int count = 0;
        for (float weight : lossWeights) {
            if (weight != 0f) {
                count++;
            }
        }
        return count;
    }
}
