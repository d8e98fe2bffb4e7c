package dev.tooltune.grammar.automaton;

/**
 * Well-formed UTF-8 byte by byte (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). A state is 0
 * at a character boundary, else {@code remaining << 16 | low << 8 | high}: how many continuation bytes are still
 * due and the range the next one must fall in.
 */
public final class Utf8 {
    public static final int INVALID = -1;

    private Utf8() {}

    /** The state after {@code b}, or {@link #INVALID}. ASCII bytes at a boundary return 0 (the caller vets them). */
    public static int next(int state, int b) {
        if (state == 0) {
            if (b < 0x80) {
                return 0;
            }
            if (b >= 0xC2 && b <= 0xDF) {
                return expect(1, 0x80, 0xBF);
            }
            if (b == 0xE0) {
                return expect(2, 0xA0, 0xBF);
            }
            if (b == 0xED) {
                return expect(2, 0x80, 0x9F);
            }
            if (b >= 0xE1 && b <= 0xEF) {
                return expect(2, 0x80, 0xBF);
            }
            if (b == 0xF0) {
                return expect(3, 0x90, 0xBF);
            }
            if (b >= 0xF1 && b <= 0xF3) {
                return expect(3, 0x80, 0xBF);
            }
            if (b == 0xF4) {
                return expect(3, 0x80, 0x8F);
            }
            return INVALID;
        }
        int remaining = state >>> 16;
        int low = (state >>> 8) & 0xFF;
        int high = state & 0xFF;
        if (b < low || b > high) {
            return INVALID;
        }
        return remaining == 1 ? 0 : expect(remaining - 1, 0x80, 0xBF);
    }

    private static int expect(int remaining, int low, int high) {
        return remaining << 16 | low << 8 | high;
    }
}
