package dev.tooltune.chat.template;

/** A conversation that cannot be rendered; the message says where ({@code messages[3].tool_calls[0]...}). */
public class ChatFormatException extends IllegalArgumentException {
    public ChatFormatException(String message) {
        super(message);
    }

    public ChatFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
