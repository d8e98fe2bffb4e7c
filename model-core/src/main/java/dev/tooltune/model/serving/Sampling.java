package dev.tooltune.model.serving;

/**
 * How a request picks tokens: {@code temperature == 0} (or {@code topK == 1}) is greedy; otherwise softmax sampling
 * with top-k (0 = off) and nucleus top-p, from a generator seeded with {@code seed} (null = a random seed), owned by
 * the request alone, so its tokens never depend on the requests decoded beside it.
 */
public record Sampling(double temperature, double topP, int topK, Long seed) {

    public Sampling {
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
    }

    public static Sampling greedy() {
        return new Sampling(0, 1, 0, 0L);
    }

    public static Sampling of(double temperature, double topP, Long seed) {
        return new Sampling(temperature, topP, 0, seed);
    }

    public boolean isGreedy() {
        return temperature == 0 || topK == 1;
    }
}
