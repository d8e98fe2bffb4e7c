package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;

/**
 * The inside of a JSON string value, after its opening quote: well-formed UTF-8, no raw control characters, valid
 * escapes ({@code \\uXXXX} surrogates only in pairs), and {@code minLength}/{@code maxLength} counted in code points
 * as JSON Schema does. Nothing here depends on the schema node, so every grammar shares its masks.
 *
 * @param minRemaining characters still needed before the closing quote
 * @param maxRemaining characters still allowed, or -1 for no limit
 * @param utf8 {@link Utf8} state
 * @param escape 0 outside an escape; 1 after a backslash; 2..5 reading the 4 hex digits of {@code \\u}; 6, 7 expecting
 *     the {@code \\} and {@code u} of a low surrogate; 8..11 reading its hex digits
 * @param hex the hex digits read so far in the current escape
 */
public record StringFrame(int minRemaining, int maxRemaining, int utf8, int escape, int hex) implements Frame {

    /** No token is longer than this many bytes, so remaining lengths beyond it cannot change a token-level mask. */
    public static volatile int saturation = 256;

    static StringFrame open(SchemaNode node) {
        return new StringFrame(node.minLength, node.maxLength, 0, 0, 0);
    }

    @Override
    public State feed(State self, int b) {
        if (escape != 0) {
            return escapeByte(self, b);
        }
        if (utf8 != 0) {
            int next = Utf8.next(utf8, b);
            if (next == Utf8.INVALID) {
                return null;
            }
            return next == 0 ? self.replaceTop(counted(0, 0, 0)) : self.replaceTop(new StringFrame(minRemaining, maxRemaining, next, 0, 0));
        }
        if (b == '"') {
            return minRemaining > 0 ? null : self.rest();
        }
        if (maxRemaining == 0 || b < 0x20) {
            return null;
        }
        if (b == '\\') {
            return self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, 1, 0));
        }
        if (b < 0x80) {
            return minRemaining == 0 && maxRemaining < 0 ? self : self.replaceTop(counted(0, 0, 0));
        }
        int next = Utf8.next(0, b);
        return next == Utf8.INVALID ? null : self.replaceTop(new StringFrame(minRemaining, maxRemaining, next, 0, 0));
    }

    private State escapeByte(State self, int b) {
        switch (escape) {
            case 1:
                if (b == 'u') {
                    return self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, 2, 0));
                }
                return "\"\\/bfnrt".indexOf(b) >= 0 ? self.replaceTop(counted(0, 0, 0)) : null;
            case 6:
                return b == '\\' ? self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, 7, hex)) : null;
            case 7:
                return b == 'u' ? self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, 8, hex)) : null;
            default:
                int digit = Character.digit(b, 16);
                if (digit < 0) {
                    return null;
                }
                int value = hex << 4 | digit;
                if (escape < 5) {
                    int left = 5 - escape;
                    if (value << 4 * left >= 0xDC00 && (value << 4 * left | (1 << 4 * left) - 1) <= 0xDFFF) {
                        return null; // every completion is a low surrogate without its high one
                    }
                    return self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, escape + 1, value));
                }
                if (escape == 5) {
                    if (value >= 0xDC00 && value <= 0xDFFF) {
                        return null; // a low surrogate without its high one
                    }
                    return value >= 0xD800 && value <= 0xDBFF
                            ? self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, 6, 0))
                            : self.replaceTop(counted(0, 0, 0));
                }
                // escape 8..11: the low surrogate must be DC00..DFFF, checked digit by digit
                if (escape == 8 && digit != 0xD || escape == 9 && digit < 0xC) {
                    return null;
                }
                return escape < 11
                        ? self.replaceTop(new StringFrame(minRemaining, maxRemaining, 0, escape + 1, value))
                        : self.replaceTop(counted(0, 0, 0));
        }
    }

    /** The rest of the character being written (if any), the characters still needed, the closing quote. */
    @Override
    public int shortestFinish() {
        int pending = pendingBytes();
        if (pending >= Shortest.UNREACHABLE) {
            return pending;
        }
        return pending == 0 ? minRemaining + 1 : pending + Math.max(0, minRemaining - 1) + 1;
    }

    /** Bytes that finish the character in progress: a UTF-8 sequence or an escape (with a low surrogate's). */
    private int pendingBytes() {
        if (utf8 != 0) {
            return utf8 >>> 16;
        }
        return switch (escape) {
            case 0 -> 0;
            case 1 -> 1;
            case 2, 3, 4, 5 -> {
                int left = 6 - escape;
                int low = hex << 4 * left;
                int high = low | (1 << 4 * left) - 1;
                yield low >= 0xD800 && high <= 0xDBFF ? left + 6 : left; // a high surrogate needs its low one
            }
            case 6, 7 -> 12 - escape;
            default -> 12 - escape; // 8..11: the low surrogate's hex digits
        };
    }

    /** This frame after one more complete character. */
    private StringFrame counted(int utf8, int escape, int hex) {
        return new StringFrame(Math.max(0, minRemaining - 1), maxRemaining < 0 ? -1 : maxRemaining - 1, utf8, escape, hex);
    }

    @Override
    public Frame localKey() {
        int limit = saturation;
        if (minRemaining <= limit && maxRemaining <= limit) {
            return this;
        }
        return new StringFrame(Math.min(minRemaining, limit), maxRemaining > limit ? limit + 1 : maxRemaining, utf8, escape, hex);
    }

    @Override
    public boolean sharedLocal() {
        return true;
    }
}
