package dev.tooltune.model.generation;

import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * How to generate. {@code temperature == 0} (or {@code topK == 1}) is greedy; otherwise tokens are sampled from
 * softmax(logits / temperature) restricted to the top-k tokens and the top-p nucleus, with a seeded generator, so
 * the same seed gives the same output. Generation of a row stops at a stop token (not included in the output), at
 * a stop string (output cut before it; needs {@code decoder}), or after {@code maxNewTokens}.
 */
public record GenerationOptions(int maxNewTokens, double temperature, int topK, double topP, long seed,
                                Set<Integer> stopTokenIds, List<String> stopStrings,
                                Function<int[], String> decoder, LogitsHook logitsHook, TokenListener listener,
                                boolean useCache) {

    /** Called as each token is accepted (streaming). */
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
        stopStrings = List.copyOf(stopStrings);
        if (!stopStrings.isEmpty() && decoder == null) {
            throw new IllegalArgumentException("stop strings need a decoder (token ids -> text)");
        }
    }

    /** Greedy, up to {@code maxNewTokens}, stopping on Gemma's {@code <eos>} (1) and {@code <end_of_turn>} (106). */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 0, 1.0, 0, Set.of(1, 106), List.of(), null, null, null, true);
    }

    public boolean isGreedy() {
        return temperature == 0 || topK == 1;
    }

    public GenerationOptions withSampling(double temperature, int topK, double topP, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stopStrings, decoder,
                logitsHook, listener, useCache);
    }

    public GenerationOptions withStopTokens(Set<Integer> ids) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, ids, stopStrings, decoder,
                logitsHook, listener, useCache);
    }

    public GenerationOptions withStopStrings(List<String> strings, Function<int[], String> decoder) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, strings, decoder,
                logitsHook, listener, useCache);
    }

    public GenerationOptions withLogitsHook(LogitsHook hook) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stopStrings, decoder,
                hook, listener, useCache);
    }

    public GenerationOptions withListener(TokenListener tokenListener) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stopStrings, decoder,
                logitsHook, tokenListener, useCache);
    }

    /** Without the cache every step recomputes the whole sequence (slow; the reference for the cached path). */
    public GenerationOptions withCache(boolean cache) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, stopStrings, decoder,
                logitsHook, listener, cache);
    }

    public GenerationOptions withMaxNewTokens(int max) {
        return new GenerationOptions(max, temperature, topK, topP, seed, stopTokenIds, stopStrings, decoder,
                logitsHook, listener, useCache);
    }
}
