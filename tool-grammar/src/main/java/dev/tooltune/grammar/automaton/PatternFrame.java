package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.regex.PatternMachine;

/**
 * The inside of a JSON string whose content must match a {@code pattern} (or a {@code format} written as one),
 * after its opening quote: characters are fed to the pattern's automaton, the closing quote only where it matches.
 * Characters that need a JSON escape are not offered. A multi-byte character is followed byte by byte: its lead
 * bytes already narrow the code points it can become, and bytes no allowed character starts with are refused.
 *
 * @param state the pattern automaton's state after the characters so far
 * @param utf8 {@link Utf8} state inside a multi-byte character (0 between characters)
 * @param bits the code point bits read so far of that character
 * @param lowest the smallest code point a sequence of its length encodes (UTF-8 has no overlong forms)
 */
public record PatternFrame(PatternMachine machine, int state, int utf8, int bits, int lowest) implements Frame {

    static PatternFrame open(PatternMachine machine) {
        return new PatternFrame(machine, machine.start(), 0, 0, 0);
    }

    @Override
    public State feed(State self, int b) {
        if (utf8 != 0) {
            int next = Utf8.next(utf8, b);
            if (next == Utf8.INVALID) {
                return null;
            }
            int value = bits << 6 | (b & 0x3F);
            return next == 0 ? character(self, value) : partial(self, next, value, lowest);
        }
        if (b == '"') {
            return machine.accepting(state) ? self.rest() : null;
        }
        if (b < 0x80) {
            return character(self, b);
        }
        int next = Utf8.next(0, b);
        if (next == Utf8.INVALID) {
            return null;
        }
        int left = next >>> 16;
        return partial(self, next, b & (0x3F >> left), left == 1 ? 0x80 : left == 2 ? 0x800 : 0x10000);
    }

    private State character(State self, int codePoint) {
        int next = machine.step(state, codePoint);
        if (next == PatternMachine.DEAD) {
            return null;
        }
        return next == state && utf8 == 0 ? self : self.replaceTop(new PatternFrame(machine, next, 0, 0, 0));
    }

    private State partial(State self, int utf8State, int value, int lowest) {
        PatternFrame next = new PatternFrame(machine, state, utf8State, value, lowest);
        return next.afterCharacter() < 0 ? null : self.replaceTop(next);
    }

    /** Of the code points the character in progress can still become: the fewest bytes to a match after it, or -1. */
    private int afterCharacter() {
        int left = utf8 >>> 16;
        int lo = Math.max(bits << 6 * left, lowest);
        int hi = bits << 6 * left | (1 << 6 * left) - 1;
        return machine.shortestAfterOneOf(state, lo, hi);
    }

    /** The rest of the character in progress, the fewest bytes to a match, the closing quote. */
    @Override
    public int shortestFinish() {
        if (utf8 == 0) {
            return Shortest.sum(machine.shortest(state), 1);
        }
        int after = afterCharacter();
        return after < 0 ? Shortest.UNREACHABLE : Shortest.sum((utf8 >>> 16) + after, 1);
    }

    /** A pattern's automaton is shared by every schema that uses it (cached by pattern), so its masks are too. */
    @Override
    public boolean sharedLocal() {
        return true;
    }

    @Override
    public String toString() {
        return "Pattern[" + state + (utf8 != 0 ? " utf8" : "") + "]";
    }
}
