package dev.tooltune.model.serving;

/**
 * Streaming deltas of a chat request, emitted only once final: text never includes a piece of a stop string or of a
 * tool-call fence, and a tool call is announced once its block is complete and parsed. Called on the scheduler's
 * thread, in order; keep it cheap (hand off to another thread for I/O).
 */
public interface ChatStreamListener {
    default void onContentDelta(String text) {}

    default void onToolCallStart(int index, String callId, String functionName) {}

    default void onToolCallArgumentsDelta(int index, String argumentsJsonFragment) {}

    ChatStreamListener NONE = new ChatStreamListener() {};
}
