package dev.tooltune.model.training;

import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.template.TokenizedChat;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat examples (OpenAI format, tools included) to training examples: Gemma 3 chat tokens plus a loss weight per
 * token (assistant turns only). Examples are tokenized in full; the trainer truncates to max length itself and
 * reports what was cut.
 */
public final class ChatExampleEncoder {

    private final GemmaTokenizer tokenizer;
    private final GemmaChatFormat format = new GemmaChatFormat();

    public ChatExampleEncoder(GemmaTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public EncodedExample encode(ChatExample example) {
        TokenizedChat chat = format.tokenize(example, tokenizer);
        return new EncodedExample(chat.tokenIds(), chat.lossWeights());
    }

    /** A parsed JSONL file: the chat examples and their encodings, index for index. */
    public record Encoded(List<ChatExample> examples, List<EncodedExample> encoded) {}

    /**
     * Reads OpenAI chat JSONL (blank lines skipped) and encodes up to {@code limit} examples. A line that does not
     * parse or format is an {@link IllegalArgumentException} naming {@code source} and the line number.
     */
    public Encoded readJsonl(Reader jsonl, String source, int limit) throws IOException {
        List<ChatExample> examples = new ArrayList<>();
        List<EncodedExample> encoded = new ArrayList<>();
        BufferedReader reader = jsonl instanceof BufferedReader b ? b : new BufferedReader(jsonl);
        String line;
        int lineNumber = 0;
        while (examples.size() < limit && (line = reader.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            try {
                ChatExample example = ChatJson.MAPPER.readValue(line, ChatExample.class);
                encoded.add(encode(example));
                examples.add(example);
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(source + " line " + lineNumber + ": " + e.getMessage(), e);
            }
        }
        return new Encoded(examples, encoded);
    }
}
