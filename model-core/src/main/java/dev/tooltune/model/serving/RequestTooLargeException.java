package dev.tooltune.model.serving;

/**
 * A request the engine can never serve as configured: its prompt leaves no room under the maximum sequence length,
 * or its KV cache (prompt + max new tokens) exceeds the whole KV budget. The client's request is at fault (an HTTP
 * service answers 400), not the server; nothing was queued.
 */
public final class RequestTooLargeException extends IllegalArgumentException {
    private final int promptTokens;
    private final int limitTokens;

    public RequestTooLargeException(String message, int promptTokens, int limitTokens) {
        super(message);
        this.promptTokens = promptTokens;
        this.limitTokens = limitTokens;
    }

    public int promptTokens() {
        return promptTokens;
    }

    /** The most tokens (prompt + new) one request may take. */
    public int limitTokens() {
        return limitTokens;
    }
}
