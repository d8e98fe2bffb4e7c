package dev.tooltune.chat.toolcall;

/**
 * A {@code ```tool_call} block that did not yield a call: {@code index} is its position among all call blocks of
 * the output, {@code text} what the block held, {@code reason} why it was rejected (for logs and JSON-validity
 * metrics).
 */
public record InvalidToolCall(int index, String text, String reason) {}
