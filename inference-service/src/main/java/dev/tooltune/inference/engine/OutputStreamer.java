package dev.tooltune.inference.engine;

import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.util.List;

/**
 * Turns the growing decoded text of one generation into the listener's deltas. Plain text is passed on as soon as it
 * can no longer turn into a tool-call fence or a stop string; from the first {@code ```tool_call} fence on the text is
 * held, and the calls are announced once the whole output is parsed (their ids, names and arguments are only final
 * then). A replacement character at the end (half a UTF-8 sequence) is held back too.
 */
final class OutputStreamer {
    private final ChatStreamListener listener;
    private final List<String> stops;
    private final boolean toolCalls;
    private int emitted;            // characters of content already passed on
    private String emittedText = "";

    OutputStreamer(ChatStreamListener listener, List<String> stops, boolean toolCalls) {
        this.listener = listener;
        this.stops = stops;
        this.toolCalls = toolCalls;
    }

    /** The text before the first stop string, or null when none occurs. */
    String cutAtStop(String text) {
        int cut = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut < 0 ? null : text.substring(0, cut);
    }

    /** Passes on what became final in {@code text} (the whole output so far, already cut at a stop string). */
    void update(String text, boolean complete) {
        int boundary = text.length();
        if (toolCalls) {
            int fence = text.indexOf(ToolCallSyntax.CALL_FENCE);
            if (fence >= 0) {
                boundary = fence;
            } else if (!complete) {
                boundary -= heldSuffix(text, ToolCallSyntax.CALL_FENCE);
            }
        }
        if (!complete) {
            int held = 0;
            for (String stop : stops) {
                held = Math.max(held, heldSuffix(text, stop));
            }
            boundary = Math.min(boundary, text.length() - held);
            if (boundary > 0 && text.charAt(boundary - 1) == '\uFFFD') {
                boundary--;
            }
        }
        if (boundary > emitted) {
            String delta = text.substring(emitted, boundary);
            emitted = boundary;
            emittedText += delta;
            listener.onContentDelta(delta);
        }
    }

    /** After parsing: the content not streamed yet (when it extends what was), then every call. */
    void finish(String content, List<ToolCall> calls) {
        if (content != null && content.startsWith(emittedText) && content.length() > emittedText.length()) {
            listener.onContentDelta(content.substring(emittedText.length()));
        }
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            listener.onToolCallStart(i, call.id(), call.function().name());
            listener.onToolCallArgumentsDelta(i, call.function().arguments());
        }
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of {@code marker}. */
    private static int heldSuffix(String text, String marker) {
        for (int length = Math.min(marker.length() - 1, text.length()); length > 0; length--) {
            if (text.regionMatches(text.length() - length, marker, 0, length)) {
                return length;
            }
        }
        return 0;
    }
}
