package dev.tooltune.model.generation;

import java.util.Set;

/**
 * How {@link Generator} generates. {@code temperature == 0} (or {@code topK == 1}) is greedy; otherwise tokens are
 * sampled from softmax(logits / temperature) restricted to the top-k tokens and the top-p nucleus, each row with a
 * generator seeded with {@code seed}, so the same seed gives the same output. A row stops at a stop token (not
 * included in the output) or after {@code maxNewTokens}.
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed,
                                Set<Integer> stopTokenIds, TokenListener listener) {

    /** Called as each token is accepted (streaming), on the engine's scheduler thread. */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int row, int token);
    }

    public GenerationOptions {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (temperature < 0) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** Greedy, up to {@code maxNewTokens}, stopping on Gemma's {@code <eos>} (1) and {@code <end_of_turn>} (106). */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1.0, 0, Set.of(1, 106), null);
    }

    public boolean isGreedy() {
        return temperature == 0 || topK == 1;
    }

    public GenerationOptions withSampling(double temperature, int topK, double topP, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, listener);
    }

    public GenerationOptions withStopTokens(Set<Integer> ids) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, ids, listener);
    }

    public GenerationOptions withListener(TokenListener tokenListener) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, tokenListener);
    }

    public GenerationOptions withMaxNewTokens(int max) {
        return new GenerationOptions(max, temperature, topK, topP, seed, stopTokenIds, listener);
    }
}
