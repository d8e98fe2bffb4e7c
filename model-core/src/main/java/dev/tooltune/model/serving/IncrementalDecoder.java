package dev.tooltune.model.serving;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.util.Arrays;

/**
 * Turns tokens into text as they arrive without decoding the whole output again at every step: only a short window
 * of recent tokens is decoded, and text is released once it no longer ends in an incomplete UTF-8 sequence (a
 * multi-byte character split over byte tokens). Special tokens are skipped.
 */
final class IncrementalDecoder {
    private final GemmaTokenizer tokenizer;
    private int[] tokens = new int[32];
    private int length;
    private int prefixOffset;   // the window starts here
    private int readOffset;     // text of tokens before this has been released

    IncrementalDecoder(GemmaTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text that became final (often empty). */
    String add(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, length * 2);
        }
        tokens[length++] = token;
        String before = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, readOffset), true);
        String now = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, length), true);
        if (now.length() <= before.length() || now.endsWith("\uFFFD")) {
            return "";
        }
        prefixOffset = readOffset;
        readOffset = length;
        return now.substring(before.length());
    }

    /** Whatever is still held back at the end of the output (e.g. a broken UTF-8 tail). */
    String flush() {
        String before = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, readOffset), true);
        String now = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, length), true);
        prefixOffset = readOffset = length;
        return now.length() > before.length() ? now.substring(before.length()) : "";
    }
}
