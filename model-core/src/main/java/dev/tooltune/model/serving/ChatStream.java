package dev.tooltune.model.serving;

import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One generation's output as it is generated, the way OpenAI streams it: plain text as {@code content} deltas, and
 * each tool call as soon as its parts exist: its start (index, id, name) once the name's string is closed, then its
 * arguments in fragments as the tokens arrive.
 *
 * <p>The grammar (docs/tool-calling-format.md) makes a call block {@code ```tool_call\n{"name": "<tool>",
 * "arguments": <json>}\n```}, so the block is read incrementally: the name, then the arguments value re-written
 * canonically ({@link CanonicalJsonStream}) so that the fragments add up to the finished call's {@code arguments}.
 * Only the frame's closing {@code }} and fence are never streamed. Text is held back while its end could still start
 * a stop string or the call fence (fence text never reaches content), and whitespace is released only when text
 * follows it, so streamed content equals the parsed answer's (parts trimmed, joined by a blank line).
 *
 * <p>A block that does not follow the frame (possible only without a constraint) ends incremental streaming: what
 * remains is reported from the final parse. Runs on the engine's scheduler thread; the listener must not block.
 */
final class ChatStream implements TokenSink {
    private final IncrementalDecoder decoder;
    private final List<String> stops;
    private final int longestStop;
    private final ChatStreamListener listener;
    private final String idSeed;

    private final StringBuilder text = new StringBuilder();
    private int position;            // text before this was handled
    private boolean stopped;         // a stop string cut the text
    private boolean gaveUp;          // a block broke the frame: nothing more is streamed
    private int callsStarted;

    // content: parts between blocks, each trimmed, joined by a blank line (as ToolCallParser writes content)
    private boolean partStarted;
    private boolean contentEmitted;
    private final StringBuilder pendingWhitespace = new StringBuilder();

    private CallBlock block;         // the open call block, or null in text

    ChatStream(GemmaTokenizer tokenizer, List<String> stops, ChatStreamListener listener, String idSeed) {
        this.decoder = new IncrementalDecoder(tokenizer);
        this.stops = stops;
        this.longestStop = stops.stream().mapToInt(String::length).max().orElse(0);
        this.listener = listener == null ? ChatStreamListener.NONE : listener;
        this.idSeed = idSeed;
    }

    @Override
    public boolean onToken(int token) {
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

    /** The id a streamed call gets (it must be known before the arguments are). */
    static String callId(String idSeed, int index) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((idSeed + "#" + index).getBytes(StandardCharsets.UTF_8));
            return "call_" + HexFormat.of().formatHex(digest).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void process(boolean end) {
        cutAtStop();
        boolean complete = end || stopped;
        // Text that could still become a stop string is not looked at yet.
        int limit = complete ? text.length() : text.length() - heldBack(stops, position);
        while (position < limit && !gaveUp) {
            if (block != null) {
                position = block.read(position, limit, complete);
                if (block.broken) {
                    gaveUp = true;
                } else if (block.closed) {
                    block = null;
                    endPart();
                } else {
                    return;
                }
                continue;
            }
            int fence = text.indexOf(ToolCallSyntax.CALL_FENCE, position);
            if (fence >= 0 && fence + ToolCallSyntax.CALL_FENCE.length() <= limit) {
                content(position, fence);
                endPart();
                position = fence + ToolCallSyntax.CALL_FENCE.length();
                block = new CallBlock();
                continue;
            }
            int upTo = complete ? limit : limit - heldBack(List.of(ToolCallSyntax.CALL_FENCE), position, limit);
            content(position, upTo);
            position = Math.max(position, upTo);
            return;
        }
    }

    private void cutAtStop() {
        if (stopped || stops.isEmpty()) {
            return;
        }
        int from = Math.max(0, position - longestStop);
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

    private int heldBack(List<String> markers, int from) {
        return heldBack(markers, from, text.length());
    }

    /** Length of the longest end of text[from, to) that is a proper prefix of one of the markers. */
    private int heldBack(List<String> markers, int from, int to) {
        int hold = 0;
        for (String marker : markers) {
            for (int k = Math.min(marker.length() - 1, to - from); k > hold; k--) {
                if (matchesAt(to - k, marker, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    /** Whether text at {@code at} holds the first {@code length} characters of {@code marker}. */
    private boolean matchesAt(int at, String marker, int length) {
        if (at < 0 || at + length > text.length()) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if (text.charAt(at + k) != marker.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Text of the current part: leading whitespace dropped, inner whitespace released once text follows it. */
    private void content(int from, int to) {
        StringBuilder delta = new StringBuilder();
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                if (partStarted) {
                    pendingWhitespace.append(c);
                }
                continue;
            }
            if (!partStarted) {
                if (contentEmitted) {
                    delta.append("\n\n");
                }
                partStarted = true;
            }
            delta.append(pendingWhitespace);
            pendingWhitespace.setLength(0);
            delta.append(c);
        }
        if (!delta.isEmpty()) {
            contentEmitted = true;
            listener.onContentDelta(delta.toString());
        }
    }

    private void endPart() {
        partStarted = false;
        pendingWhitespace.setLength(0);
    }

    /** One {@code ```tool_call} block after its fence: {@code {"name": "<tool>", "arguments": <json>}} then {@code ```}. */
    private final class CallBlock {
        private enum Part { OPEN, KEY, COLON, NAME, ARGUMENTS, NEXT, FENCE }

        private Part part = Part.OPEN;
        private final StringBuilder raw = new StringBuilder();   // a key or the name, as written
        private boolean escaped;
        private String key;
        private String name;
        private int index = -1;
        private CanonicalJsonStream arguments;
        boolean closed;
        boolean broken;

        /** Reads text[from, limit); returns where it stopped. */
        int read(int from, int limit, boolean complete) {
            int i = from;
            while (i < limit && !closed && !broken) {
                char c = text.charAt(i);
                switch (part) {
                    case OPEN -> {
                        if (!Character.isWhitespace(c)) {
                            if (c != '{') {
                                broken = true;
                                return i;
                            }
                            part = Part.KEY;
                        }
                        i++;
                    }
                    case KEY, NAME -> {
                        if (raw.isEmpty()) {
                            if (Character.isWhitespace(c)) {
                                i++;
                                continue;
                            }
                            if (c != '"') {
                                broken = true;
                                return i;
                            }
                        }
                        raw.append(c);
                        i++;
                        if (raw.length() > 1 && c == '"' && !escaped) {
                            String value = decodeString(raw.toString());
                            raw.setLength(0);
                            if (value == null) {
                                broken = true;
                                return i;
                            }
                            if (part == Part.KEY) {
                                key = value;
                                part = Part.COLON;
                            } else {
                                name = value;
                                index = callsStarted++;
                                listener.onToolCallStart(index, callId(idSeed, index), name);
                                part = Part.NEXT;
                            }
                        }
                        escaped = !escaped && c == '\\' && raw.length() > 1;
                    }
                    case COLON -> {
                        if (!Character.isWhitespace(c)) {
                            if (c != ':') {
                                broken = true;
                                return i;
                            }
                            // The frame is name first, then arguments (what GemmaChatFormat writes and the grammar
                            // forces); any other shape is left to the final parse.
                            if ("name".equals(key) && name == null) {
                                part = Part.NAME;
                            } else if ("arguments".equals(key) && name != null && arguments == null) {
                                arguments = new CanonicalJsonStream();
                                part = Part.ARGUMENTS;
                            } else {
                                broken = true;
                                return i;
                            }
                        }
                        i++;
                    }
                    case ARGUMENTS -> {
                        CanonicalJsonStream.Step step = arguments.accept(c);
                        if (step == CanonicalJsonStream.Step.INVALID) {
                            emitArguments();
                            broken = true;
                            return i;
                        }
                        if (step == CanonicalJsonStream.Step.CONSUMED) {
                            i++;
                        }
                        if (arguments.done()) {
                            part = Part.NEXT;
                        }
                    }
                    case NEXT -> {
                        if (!Character.isWhitespace(c)) {
                            if (c == ',' && arguments == null) {
                                part = Part.KEY;
                            } else if (c == '}' && arguments != null) {
                                part = Part.FENCE;
                            } else {
                                broken = true;
                                return i;
                            }
                        }
                        i++;
                    }
                    case FENCE -> {
                        if (Character.isWhitespace(c)) {
                            i++;
                            continue;
                        }
                        if (limit - i < ToolCallSyntax.CLOSE_FENCE.length() && !complete
                                && ToolCallSyntax.CLOSE_FENCE.startsWith(text.substring(i, limit))) {
                            emitArguments();
                            return i;
                        }
                        if (!matchesAt(i, ToolCallSyntax.CLOSE_FENCE, ToolCallSyntax.CLOSE_FENCE.length())) {
                            broken = true;
                            return i;
                        }
                        closed = true;
                        i += ToolCallSyntax.CLOSE_FENCE.length();
                    }
                    default -> throw new IllegalStateException(part.toString());
                }
            }
            emitArguments();
            return i;
        }

        private void emitArguments() {
            if (arguments != null && index >= 0) {
                String fragment = arguments.drain();
                if (!fragment.isEmpty()) {
                    listener.onToolCallArgumentsDelta(index, fragment);
                }
            }
        }

        private static String decodeString(String quoted) {
            try {
                var node = ChatJson.MAPPER.readTree(quoted);
                return node != null && node.isTextual() ? node.asText() : null;
            } catch (Exception e) {
                return null;
            }
        }
    }
}
