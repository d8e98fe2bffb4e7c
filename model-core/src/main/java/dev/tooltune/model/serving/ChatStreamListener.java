package dev.tooltune.model.serving;

/**
 * A chat generation's output as it becomes final, the way OpenAI streams it: text never includes a piece of a stop
 * string or of a tool-call fence; a tool call starts (index, id, name) once its name is complete, then its arguments
 * arrive in fragments that add up to the finished call's {@code arguments}. Streamed call ids are the stream's own
 * (known before the arguments are). Called on the scheduler's thread, in order; keep it cheap (hand off to another
 * thread for I/O).
 */
public interface ChatStreamListener {
    default void onContentDelta(String text) {}

    default void onToolCallStart(int index, String callId, String functionName) {}

    default void onToolCallArgumentsDelta(int index, String argumentsJsonFragment) {}

    ChatStreamListener NONE = new ChatStreamListener() {};
}
