package dev.tooltune.model.serving;

import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.util.ArrayList;
import java.util.List;

/**
 * One chat request's output as it is generated: decodes tokens incrementally, cuts at the first stop string, and
 * tells the listener only what is final. Text is held back while its end could still start a stop string or a
 * {@code ```tool_call} fence; a tool-call block is announced (start, then its whole arguments) when its closing
 * fence arrives, parsed with the same parser and id seed as the final result, so streamed ids equal final ids.
 */
final class ChatStream implements TokenSink {
    private final IncrementalDecoder decoder;
    private final List<String> stops;
    private final ChatStreamListener listener;
    private final ToolCallParser parser = new ToolCallParser();
    private final String idSeed;
    private final List<String> holdBackMarkers = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private int emitted;            // text before this was handled (emitted as content or part of a call)
    private int callStart = -1;     // start of the open ```tool_call block, or -1
    private int callsEmitted;
    private boolean stopped;
    private int tokens;

    ChatStream(GemmaTokenizer tokenizer, List<String> stops, ChatStreamListener listener, String idSeed) {
        this.decoder = new IncrementalDecoder(tokenizer);
        this.stops = stops;
        this.listener = listener == null ? ChatStreamListener.NONE : listener;
        this.idSeed = idSeed;
        holdBackMarkers.addAll(stops);
        holdBackMarkers.add(ToolCallSyntax.CALL_FENCE);
    }

    @Override
    public boolean onToken(int token) {
        tokens++;
        String piece = decoder.add(token);
        if (!piece.isEmpty()) {
            text.append(piece);
            process(false);
        }
        return !stopped;
    }

    /** The output is complete: releases what was held back. Returns the final text (cut at a stop string). */
    String finish() {
        if (!stopped) {
            text.append(decoder.flush());
        }
        process(true);
        return text.toString();
    }

    int completionTokens() {
        return tokens;
    }

    private void process(boolean end) {
        if (!stopped && !stops.isEmpty()) {
            int longest = stops.stream().mapToInt(String::length).max().orElse(0);
            int from = Math.max(0, emitted - longest);
            int cut = -1;
            for (String stop : stops) {
                int at = text.indexOf(stop, from);
                if (at >= 0 && (cut < 0 || at < cut)) {
                    cut = at;
                }
            }
            if (cut >= 0) {
                text.setLength(cut);
                stopped = true;
            }
        }
        boolean complete = end || stopped;
        while (emitted < text.length()) {
            if (callStart >= 0) {
                int close = text.indexOf(ToolCallSyntax.CLOSE_FENCE, callStart + ToolCallSyntax.CALL_FENCE.length());
                if (close < 0) {
                    return;   // the block is still open; an unterminated block is reported by the final parse
                }
                int blockEnd = close + ToolCallSyntax.CLOSE_FENCE.length();
                ParsedAssistantMessage parsed = parser.parse(text.substring(0, blockEnd), idSeed);
                List<ToolCall> calls = parsed.toolCalls();
                for (int i = callsEmitted; i < calls.size(); i++) {
                    ToolCall call = calls.get(i);
                    listener.onToolCallStart(i, call.id(), call.function().name());
                    listener.onToolCallArgumentsDelta(i, call.function().arguments());
                }
                callsEmitted = calls.size();
                emitted = blockEnd;
                callStart = -1;
                continue;
            }
            int fence = text.indexOf(ToolCallSyntax.CALL_FENCE, emitted);
            if (fence >= 0) {
                emitContent(emitted, fence);
                emitted = fence;
                callStart = fence;
                continue;
            }
            int limit = complete ? text.length() : text.length() - heldBack();
            if (limit > emitted) {
                emitContent(emitted, limit);
                emitted = limit;
            }
            return;
        }
    }

    /** Length of the longest end of the text that is a proper prefix of a stop string or of the call fence. */
    private int heldBack() {
        int hold = 0;
        String tail = text.substring(Math.max(emitted, text.length() - maxMarkerLength()));
        for (String marker : holdBackMarkers) {
            for (int k = Math.min(marker.length() - 1, tail.length()); k > hold; k--) {
                if (tail.regionMatches(tail.length() - k, marker, 0, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    private int maxMarkerLength() {
        return holdBackMarkers.stream().mapToInt(String::length).max().orElse(0);
    }

    private void emitContent(int from, int to) {
        if (to > from) {
            listener.onContentDelta(text.substring(from, to));
        }
    }
}
