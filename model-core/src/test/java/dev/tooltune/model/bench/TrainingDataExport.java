package dev.tooltune.model.bench;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.training.ChatExampleEncoder;
import dev.tooltune.model.training.EncodedExample;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tokenizes an OpenAI chat JSONL file (e.g. samples/tool-calling-sample.jsonl) with the Gemma 3 chat format into the
 * file GpuBenchmark's packed runs read ({@code TOOLTUNE_TRAIN_DATA}): one example per line, token ids, a tab, the
 * loss weight of each token. The GPU machine has no tokenizer; this runs where the build does.
 *
 * <pre>  TrainingDataExport IN.jsonl OUT.tsv</pre>
 */
public final class TrainingDataExport {

    private TrainingDataExport() {
    }

    public static void main(String[] args) throws Exception {
        ChatExampleEncoder encoder = new ChatExampleEncoder(GemmaTokenizer.loadDefault());
        ChatExampleEncoder.Encoded encoded;
        try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
            encoded = encoder.readJsonl(in, args[0], Integer.MAX_VALUE);
        }
        long tokens = 0;
        try (Writer out = Files.newBufferedWriter(Path.of(args[1]))) {
            for (EncodedExample example : encoded.encoded()) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < example.length(); i++) {
                    line.append(i == 0 ? "" : " ").append(example.tokenIds()[i]);
                }
                line.append('\t');
                for (int i = 0; i < example.length(); i++) {
                    float w = example.lossWeights()[i];
                    line.append(i == 0 ? "" : " ").append(w == (int) w ? Integer.toString((int) w) : Float.toString(w));
                }
                out.write(line.append('\n').toString());
                tokens += example.length();
            }
        }
        System.out.printf("%d examples, %d tokens (mean %.0f) -> %s%n", encoded.encoded().size(), tokens,
                (double) tokens / encoded.encoded().size(), args[1]);
    }
}
