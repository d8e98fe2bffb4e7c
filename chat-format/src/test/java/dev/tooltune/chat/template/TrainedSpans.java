package dev.tooltune.chat.template;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.util.ArrayList;
import java.util.List;

/** For tests of the loss mask: what the model is trained to say, as text. */
public final class TrainedSpans {
    private TrainedSpans() {
    }

    /** Decoded text of each maximal run of trained (non-zero weight) tokens. */
    public static List<String> of(TokenizedChat tokenized, GemmaTokenizer tokenizer) {
        List<String> spans = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        for (int i = 0; i <= tokenized.length(); i++) {
            if (i < tokenized.length() && tokenized.lossWeights()[i] != 0f) {
                run.add(tokenized.tokenIds()[i]);
            } else if (!run.isEmpty()) {
                spans.add(tokenizer.decode(run.stream().mapToInt(Integer::intValue).toArray()));
                run.clear();
            }
        }
        return spans;
    }
}
