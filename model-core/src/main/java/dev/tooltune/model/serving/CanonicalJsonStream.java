package dev.tooltune.model.serving;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.toolcall.CanonicalJson;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Re-writes one JSON value canonically ({@link CanonicalJson}: {@code ", "} and {@code ": "}, strings escaped as
 * Jackson writes them, numbers as Jackson reads and writes them) while its text is still arriving, so that the
 * fragments streamed for a tool call's arguments add up to exactly the {@code arguments} string of the finished call.
 * The model may write {@code {"a":1}} or {@code {"a": 1}} (the grammar allows both); the client sees the same text
 * either way, streamed or not.
 *
 * <p>Feed it characters with {@link #accept}; it consumes what it can, appends canonical text to the output, and
 * stops at the end of the value. A number is released when the character after it arrives (its canonical form may
 * differ from what was written), a string character by character.
 */
final class CanonicalJsonStream {

    /** What {@link #accept} saw. */
    enum Step { CONSUMED, NEED_MORE, DONE, INVALID }

    private enum Container { OBJECT, ARRAY }

    private enum State { VALUE, OBJECT_FIRST_KEY_OR_END, OBJECT_KEY, COLON, ARRAY_FIRST_VALUE_OR_END, AFTER_VALUE, DONE }

    private final Deque<Container> containers = new ArrayDeque<>();
    private State state = State.VALUE;
    private final StringBuilder out = new StringBuilder();

    // a string in progress
    private boolean inString;
    private boolean stringIsKey;
    private final StringBuilder escape = new StringBuilder();   // a backslash escape being read, backslash included
    private char pendingHighSurrogate;                           // of a \\uXXXX pair, 0 when none
    private final StringBuilder decodedChunk = new StringBuilder();

    // a number or literal in progress
    private final StringBuilder scalar = new StringBuilder();
    private boolean inNumber;
    private boolean inLiteral;

    /** Canonical text produced since the last call, and clears it. */
    String drain() {
        flushString();
        String text = out.toString();
        out.setLength(0);
        return text;
    }

    boolean done() {
        return state == State.DONE;
    }

    /**
     * Offers the next character. Returns CONSUMED when it was used (feed the next one), DONE when the value ended
     * before this character (it was not consumed: it belongs to what follows), INVALID when it cannot continue
     * the value.
     */
    Step accept(char c) {
        if (state == State.DONE) {
            return Step.DONE;
        }
        if (inString) {
            return string(c);
        }
        if (inNumber) {
            if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                scalar.append(c);
                return Step.CONSUMED;
            }
            if (!finishNumber()) {
                return Step.INVALID;
            }
            if (state == State.DONE) {
                return Step.DONE;
            }
            // fall through: c is handled after the number
        }
        if (inLiteral) {
            scalar.append(c);
            String word = scalar.toString();
            for (String literal : new String[] {"true", "false", "null"}) {
                if (literal.equals(word)) {
                    inLiteral = false;
                    out.append(word);
                    valueEnded();
                    return Step.CONSUMED;
                }
                if (literal.startsWith(word)) {
                    return Step.CONSUMED;
                }
            }
            return Step.INVALID;
        }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            return Step.CONSUMED;
        }
        switch (state) {
            case VALUE -> {
                return value(c);
            }
            case OBJECT_FIRST_KEY_OR_END, OBJECT_KEY -> {
                if (c == '}' && state == State.OBJECT_FIRST_KEY_OR_END) {
                    containers.pop();
                    out.append('}');
                    valueEnded();
                    return Step.CONSUMED;
                }
                if (c != '"') {
                    return Step.INVALID;
                }
                startString(true);
                return Step.CONSUMED;
            }
            case COLON -> {
                if (c != ':') {
                    return Step.INVALID;
                }
                out.append(": ");
                state = State.VALUE;
                return Step.CONSUMED;
            }
            case ARRAY_FIRST_VALUE_OR_END -> {
                if (c == ']') {
                    containers.pop();
                    out.append(']');
                    valueEnded();
                    return Step.CONSUMED;
                }
                return value(c);
            }
            case AFTER_VALUE -> {
                Container container = containers.peek();
                if (c == ',') {
                    out.append(", ");
                    state = container == Container.OBJECT ? State.OBJECT_KEY : State.VALUE;
                    return Step.CONSUMED;
                }
                if ((c == '}' && container == Container.OBJECT) || (c == ']' && container == Container.ARRAY)) {
                    containers.pop();
                    out.append(c);
                    valueEnded();
                    return Step.CONSUMED;
                }
                return Step.INVALID;
            }
            default -> {
                return Step.INVALID;
            }
        }
    }

    private Step value(char c) {
        if (c == '{') {
            containers.push(Container.OBJECT);
            out.append('{');
            state = State.OBJECT_FIRST_KEY_OR_END;
        } else if (c == '[') {
            containers.push(Container.ARRAY);
            out.append('[');
            state = State.ARRAY_FIRST_VALUE_OR_END;
        } else if (c == '"') {
            startString(false);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            inNumber = true;
            scalar.setLength(0);
            scalar.append(c);
        } else if (c == 't' || c == 'f' || c == 'n') {
            inLiteral = true;
            scalar.setLength(0);
            scalar.append(c);
        } else {
            return Step.INVALID;
        }
        return Step.CONSUMED;
    }

    private void valueEnded() {
        state = containers.isEmpty() ? State.DONE : State.AFTER_VALUE;
    }

    private boolean finishNumber() {
        inNumber = false;
        String canonical;
        try {
            var node = ChatJson.MAPPER.readTree(scalar.toString());
            if (node == null || !node.isNumber()) {
                return false;
            }
            canonical = node.toString();
        } catch (Exception e) {
            return false;
        }
        out.append(canonical);
        valueEnded();
        return true;
    }

    private void startString(boolean key) {
        inString = true;
        stringIsKey = key;
        escape.setLength(0);
        pendingHighSurrogate = 0;
        out.append('"');
    }

    private Step string(char c) {
        if (escape.length() > 0) {
            escape.append(c);
            if (escape.length() == 2) {
                char simple = switch (c) {
                    case '"' -> '"';
                    case '\\' -> '\\';
                    case '/' -> '/';
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    case 'u' -> 0;
                    default -> 1;
                };
                if (simple == 1) {
                    return Step.INVALID;
                }
                if (c != 'u') {
                    escape.setLength(0);
                    decoded(simple);
                }
                return Step.CONSUMED;
            }
            if (Character.digit(c, 16) < 0) {
                return Step.INVALID;
            }
            if (escape.length() == 6) {
                char unit = (char) Integer.parseInt(escape.substring(2), 16);
                escape.setLength(0);
                decoded(unit);
            }
            return Step.CONSUMED;
        }
        if (c == '\\') {
            escape.append(c);
            return Step.CONSUMED;
        }
        if (c == '"') {
            flushString();
            inString = false;
            out.append('"');
            if (stringIsKey) {
                state = State.COLON;
            } else {
                valueEnded();
            }
            return Step.CONSUMED;
        }
        if (c < 0x20) {
            return Step.INVALID;
        }
        decoded(c);
        return Step.CONSUMED;
    }

    /** A decoded character of the string; a high surrogate waits for its low half so the pair is written together. */
    private void decoded(char c) {
        if (pendingHighSurrogate != 0) {
            decodedChunk.append(pendingHighSurrogate);
            pendingHighSurrogate = 0;
        }
        if (Character.isHighSurrogate(c)) {
            pendingHighSurrogate = c;
            return;
        }
        decodedChunk.append(c);
    }

    /** Writes the decoded characters of the string so far, escaped exactly as Jackson (and so CanonicalJson) does. */
    private void flushString() {
        if (!inString || decodedChunk.isEmpty()) {
            return;
        }
        String quoted = TextNode.valueOf(decodedChunk.toString()).toString();
        out.append(quoted, 1, quoted.length() - 1);
        decodedChunk.setLength(0);
    }
}
