package dev.tooltune.model.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.KvCache;
import dev.tooltune.model.gemma3.ModelInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Autoregressive generation for a batch of prompts of different lengths: the prompts are left-padded to one
 * length, prefilled in one forward pass into a {@link KvCache}, then decoded one token per row per step. Each
 * step works in its own NDManager, closed when the step ends, so long generations do not accumulate arrays.
 */
public final class Generator {
    private final Gemma3Model model;

    public Generator(Gemma3Model model) {
        this.model = model;
    }

    public GenerationResult generate(int[] prompt, GenerationOptions options) {
        return generate(List.of(prompt), options);
    }

    public GenerationResult generate(List<int[]> prompts, GenerationOptions options) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        int batch = prompts.size();
        int width = 0;
        for (int i = 0; i < batch; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty (it needs at least the BOS token)");
            }
            width = Math.max(width, prompts.get(i).length);
        }
        int pad = model.config().padTokenId();
        int vocab = model.config().vocabSize();

        // Left padding: row b's prompt ends at column width-1; positions count real tokens only.
        long[] ids = new long[batch * width];
        long[] mask = new long[batch * width];
        long[] positions = new long[batch * width];
        long[] nextPosition = new long[batch];
        for (int b = 0; b < batch; b++) {
            int[] prompt = prompts.get(b);
            int offset = width - prompt.length;
            for (int j = 0; j < width; j++) {
                int at = b * width + j;
                if (j < offset) {
                    ids[at] = pad;
                    positions[at] = 0;
                } else {
                    int token = prompt[j - offset];
                    if (token < 0 || token >= vocab) {
                        throw new IllegalArgumentException("prompt " + b + " token " + (j - offset) + " = " + token
                                + " is outside the vocabulary [0, " + vocab + ")");
                    }
                    ids[at] = token;
                    mask[at] = 1;
                    positions[at] = j - offset;
                }
            }
            nextPosition[b] = prompt.length;
        }

        List<int[]> generated = new ArrayList<>();
        List<GenerationResult.Sequence> finished = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            generated.add(new int[0]);
            finished.add(null);
        }
        Sampler sampler = new Sampler(options);
        int promptTokens = prompts.stream().mapToInt(p -> p.length).sum();
        long prefillNanos = 0;
        long decodeNanos = 0;
        int decodeSteps = 0;

        try (NDManager generation = model.manager().newSubManager()) {
            KvCache cache = options.useCache()
                    ? new KvCache(model.config(), batch, width + Math.max(1, options.maxNewTokens()), model.computeType(), generation)
                    : null;
            // The growing padded sequence, for the uncached path.
            long[][] history = new long[][] {ids, mask, positions};
            int historyWidth = width;

            long start = System.nanoTime();
            long[] stepIds = ids;
            long[] stepMask = mask;
            long[] stepPositions = positions;
            int stepWidth = width;
            for (int step = 0; step < options.maxNewTokens(); step++) {
                long[] next;
                try (NDManager scope = generation.newSubManager()) {
                    ModelInput input = ModelInput.of(scope.create(stepIds).reshape(batch, stepWidth),
                                    scope.create(stepPositions).reshape(batch, stepWidth))
                            .withKeyMask(scope.create(stepMask).reshape(batch, stepWidth));
                    if (cache != null) {
                        input = input.withCache(cache);
                    }
                    NDArray logits = model.lastLogits(input);                                         // [B,V]
                    if (options.logitsHook() != null) {
                        logits = options.logitsHook().apply(step, logits, List.copyOf(generated));
                    }
                    next = sampler.next(logits);
                }
                long now = System.nanoTime();
                if (step == 0) {
                    prefillNanos = now - start;
                } else {
                    decodeNanos += now - start;
                    decodeSteps++;
                }
                start = now;

                boolean allDone = true;
                for (int b = 0; b < batch; b++) {
                    if (finished.get(b) != null) {
                        continue;
                    }
                    int token = (int) next[b];
                    if (options.stopTokenIds().contains(token)) {
                        finished.set(b, new GenerationResult.Sequence(generated.get(b), "stop", token, null));
                        continue;
                    }
                    int[] tokens = Arrays.copyOf(generated.get(b), generated.get(b).length + 1);
                    tokens[tokens.length - 1] = token;
                    generated.set(b, tokens);
                    if (options.listener() != null) {
                        options.listener().onToken(b, token);
                    }
                    String stop = firstStopString(tokens, options);
                    if (stop != null) {
                        finished.set(b, new GenerationResult.Sequence(tokens, "stop", null, stop));
                        continue;
                    }
                    allDone = false;
                }
                if (allDone || step == options.maxNewTokens() - 1) {
                    break;
                }

                // Feed the chosen tokens (finished rows feed padding, which nobody reads).
                long[] feedIds = new long[batch];
                long[] feedPositions = new long[batch];
                long[] feedMask = new long[batch];
                for (int b = 0; b < batch; b++) {
                    feedIds[b] = finished.get(b) == null ? next[b] : pad;
                    feedPositions[b] = nextPosition[b]++;
                    feedMask[b] = 1;
                }
                if (cache != null) {
                    stepIds = feedIds;
                    stepPositions = feedPositions;
                    stepMask = feedMask;
                    stepWidth = 1;
                } else {
                    history = append(history, historyWidth, batch, feedIds, feedMask, feedPositions);
                    historyWidth++;
                    stepIds = history[0];
                    stepMask = history[1];
                    stepPositions = history[2];
                    stepWidth = historyWidth;
                }
            }
        }

        List<GenerationResult.Sequence> sequences = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            GenerationResult.Sequence s = finished.get(b);
            sequences.add(s != null ? s : new GenerationResult.Sequence(generated.get(b), "length", null, null));
        }
        return new GenerationResult(sequences, promptTokens, prefillNanos, decodeNanos, decodeSteps);
    }

    /** Finds a stop string in the decoded output and cuts the tokens back to those before it. */
    private static String firstStopString(int[] tokens, GenerationOptions options) {
        if (options.stopStrings().isEmpty()) {
            return null;
        }
        String text = options.decoder().apply(tokens);
        for (String stop : options.stopStrings()) {
            if (text.contains(stop)) {
                return stop;
            }
        }
        return null;
    }

    private static long[][] append(long[][] history, int width, int batch, long[] ids, long[] mask, long[] positions) {
        long[][] out = new long[3][batch * (width + 1)];
        long[][] column = {ids, mask, positions};
        for (int k = 0; k < 3; k++) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(history[k], b * width, out[k], b * (width + 1), width);
                out[k][b * (width + 1) + width] = column[k][b];
            }
        }
        return out;
    }

    /** The text before the first stop string (for callers that decoded tokens that end in one). */
    public static String cutAtStop(String text, List<String> stopStrings) {
        int cut = text.length();
        for (String stop : stopStrings) {
            int at = text.indexOf(stop);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        return text.substring(0, cut);
    }
}
