package dev.tooltune.inference.engine;

/** The rendered prompt leaves no room for a single generated token under the serving context length. */
public final class PromptTooLongException extends IllegalArgumentException {
    private final int promptTokens;
    private final int contextLength;

    public PromptTooLongException(int promptTokens, int contextLength) {
        super("This model's maximum context length is " + contextLength + " tokens. However, your messages (with "
                + "the tools) resulted in " + promptTokens + " tokens. Please reduce the length of the messages or "
                + "tools.");
        this.promptTokens = promptTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextLength() {
        return contextLength;
    }
}
