package dev.tooltune.inference.engine;

/**
 * Receives a generation's output as it becomes final: text, then tool calls (a call's start with its id and name,
 * then its JSON arguments in fragments). Called from the engine's thread; implementations must not block.
 */
public interface ChatStreamListener {

    ChatStreamListener NONE = new ChatStreamListener() {};

    default void onContentDelta(String text) {}

    default void onToolCallStart(int index, String callId, String name) {}

    default void onToolCallArgumentsDelta(int index, String fragment) {}
}
