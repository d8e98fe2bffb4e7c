package dev.tooltune.chat.template;

/**
 * A piece of a rendered conversation and the loss weight of every token in it: an assistant message's own text
 * (its content, its tool-call blocks and its closing {@code <end_of_turn>}) carries the message's weight, all else
 * weight 0. {@code messageIndex} is the message it came from, or -1 for structure (BOS, role headers).
 * {@code toolsDeclaration} marks the tools declaration, which is the same text in every example with the same
 * tools, so its tokens can be reused.
 */
public record RenderedSegment(String text, float weight, int messageIndex, boolean toolsDeclaration) {

    public RenderedSegment(String text, float weight, int messageIndex) {
        this(text, weight, messageIndex, false);
    }

    public boolean trained() {
        return weight != 0f;
    }
}
