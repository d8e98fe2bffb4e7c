package dev.tooltune.grammar.regex;

import dev.tooltune.grammar.regex.Regex.Chars;
import dev.tooltune.grammar.regex.Regex.Choice;
import dev.tooltune.grammar.regex.Regex.Repeat;
import dev.tooltune.grammar.regex.Regex.Sequence;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive descent over ECMA-262 pattern syntax: alternation, groups ({@code (...)}, {@code (?:...)}, named),
 * quantifiers ({@code * + ? {n} {n,} {n,m}}, lazy forms read as greedy), classes with ranges and negation,
 * {@code .}, the escapes {@code \d \D \w \W \s \S \t \n \r \f \v \0 \xHH \\uHHHH \\u{H...}} and escaped
 * punctuation. {@code ^} and {@code $} only at the very start and end of the pattern.
 */
final class RegexParser {
    /** Bounded repetition beyond this is left to the post-check (the automaton would grow too large). */
    private static final int MAX_COUNT = 1000;
    private static final CodePointSet DIGITS = CodePointSet.of('0', '9');
    private static final CodePointSet WORD = CodePointSet.of('a', 'z').union(CodePointSet.of('A', 'Z')).union(DIGITS)
            .union(CodePointSet.single('_'));
    // Where ECMA-262 (the schema's dialect) and java.util.regex (the post-check's) differ, the narrower reading wins,
    // so that whatever the automaton lets through passes both: \s is ASCII white space (Java), \S excludes the
    // Unicode spaces too (ECMA), and . excludes U+0085 as Java does.
    private static final CodePointSet ASCII_SPACE = set(" \t\n\u000B\f\r");
    private static final CodePointSet UNICODE_SPACE = set(" \t\n\u000B\f\r\u0085\u00A0\u1680\u2028\u2029\u202F\u205F\u3000\uFEFF")
            .union(CodePointSet.of(0x2000, 0x200A));
    private static final CodePointSet LINE_TERMINATORS = set("\n\r\u0085\u2028\u2029");

    private final String pattern;
    private final int[] cps;
    private int at;

    RegexParser(String pattern) {
        this.pattern = pattern;
        this.cps = pattern.codePoints().toArray();
    }

    Regex wholeString() {
        int end = cps.length;
        boolean anchoredStart = end > 0 && cps[0] == '^';
        boolean anchoredEnd = end > (anchoredStart ? 1 : 0) && cps[end - 1] == '$' && !escaped(end - 1);
        at = anchoredStart ? 1 : 0;
        Regex body = alternation(anchoredEnd ? end - 1 : end);
        if (at != (anchoredEnd ? end - 1 : end)) {
            throw unsupported("unexpected " + new String(cps, at, 1));
        }
        List<Regex> parts = new ArrayList<>();
        Regex anything = new Repeat(new Chars(CodePointSet.ALL), 0, -1);
        if (!anchoredStart) {
            parts.add(anything);
        }
        parts.add(body);
        if (!anchoredEnd) {
            parts.add(anything);
        }
        return parts.size() == 1 ? body : new Sequence(parts);
    }

    /** Whether the character at {@code index} is preceded by an odd number of backslashes. */
    private boolean escaped(int index) {
        int slashes = 0;
        for (int i = index - 1; i >= 0 && cps[i] == '\\'; i--) {
            slashes++;
        }
        return slashes % 2 == 1;
    }

    private Regex alternation(int end) {
        List<Regex> options = new ArrayList<>();
        options.add(sequence(end));
        while (at < end && cps[at] == '|') {
            at++;
            options.add(sequence(end));
        }
        return options.size() == 1 ? options.get(0) : new Choice(options);
    }

    private Regex sequence(int end) {
        List<Regex> parts = new ArrayList<>();
        while (at < end && cps[at] != '|' && cps[at] != ')') {
            parts.add(quantified(atom(end), end));
        }
        return parts.size() == 1 ? parts.get(0) : new Sequence(parts);
    }

    private Regex quantified(Regex atom, int end) {
        if (at >= end) {
            return atom;
        }
        int min;
        int max;
        switch (cps[at]) {
            case '*' -> { min = 0; max = -1; at++; }
            case '+' -> { min = 1; max = -1; at++; }
            case '?' -> { min = 0; max = 1; at++; }
            case '{' -> {
                int save = at;
                int[] bounds = braces(end);
                if (bounds == null) {
                    at = save;
                    return atom; // a literal brace, as ECMA-262's Annex B reads it
                }
                min = bounds[0];
                max = bounds[1];
            }
            default -> {
                return atom;
            }
        }
        if (at < end && cps[at] == '?') {
            at++; // lazy: the same language
        }
        if (at < end && "*+?{".indexOf(cps[at]) >= 0 && !(cps[at] == '{' && !looksLikeBraces(end))) {
            throw unsupported("nothing to repeat");
        }
        if (min > MAX_COUNT || max > MAX_COUNT) {
            throw unsupported("a count above " + MAX_COUNT);
        }
        return new Repeat(atom, min, max);
    }

    private boolean looksLikeBraces(int end) {
        int save = at;
        int[] bounds = braces(end);
        at = save;
        return bounds != null;
    }

    /** {@code {n}}, {@code {n,}} or {@code {n,m}} at {@code at}, or null when it is not a quantifier. */
    private int[] braces(int end) {
        at++;
        long min = number(end);
        if (min < 0) {
            return null;
        }
        long max = min;
        if (at < end && cps[at] == ',') {
            at++;
            max = at < end && cps[at] == '}' ? -1 : number(end);
            if (max == -2) {
                return null;
            }
        }
        if (at >= end || cps[at] != '}') {
            return null;
        }
        at++;
        if (max >= 0 && max < min) {
            throw unsupported("{" + min + "," + max + "}: numbers out of order");
        }
        return new int[] {(int) Math.min(min, Integer.MAX_VALUE), (int) Math.min(max, Integer.MAX_VALUE)};
    }

    /** Decimal digits at {@code at}; -2 (or -1 at the first) when there are none. */
    private long number(int end) {
        int start = at;
        long value = 0;
        while (at < end && cps[at] >= '0' && cps[at] <= '9') {
            value = Math.min(value * 10 + cps[at] - '0', Integer.MAX_VALUE);
            at++;
        }
        return at == start ? -2 : value;
    }

    private Regex atom(int end) {
        int c = cps[at];
        switch (c) {
            case '(' -> {
                at++;
                if (at < end && cps[at] == '?') {
                    if (at + 1 < end && cps[at + 1] == ':') {
                        at += 2;
                    } else if (at + 1 < end && cps[at + 1] == '<' && at + 2 < end && cps[at + 2] != '=' && cps[at + 2] != '!') {
                        while (at < end && cps[at] != '>') {
                            at++; // a named group: the name does not matter here
                        }
                        at++;
                    } else {
                        throw unsupported("look-around");
                    }
                }
                Regex inner = alternation(end);
                if (at >= end || cps[at] != ')') {
                    throw unsupported("unclosed group");
                }
                at++;
                return inner;
            }
            case '[' -> {
                return new Chars(characterClass(end));
            }
            case '.' -> {
                at++;
                return new Chars(LINE_TERMINATORS.complement());
            }
            case '\\' -> {
                at++;
                return new Chars(escape(end, false));
            }
            case '^', '$' -> throw unsupported("an anchor inside the pattern");
            case ')', '*', '+', '?' -> throw unsupported("unexpected " + (char) c);
            default -> {
                at++;
                return new Chars(CodePointSet.single(c));
            }
        }
    }

    private CodePointSet characterClass(int end) {
        at++;
        boolean negated = at < end && cps[at] == '^';
        if (negated) {
            at++;
        }
        CodePointSet set = CodePointSet.EMPTY;
        while (at < end && cps[at] != ']') { // [] matches nothing and [^] anything, as in ECMA-262
            CodePointSet low = classAtom(end);
            if (at + 1 < end && cps[at] == '-' && cps[at + 1] != ']') {
                at++;
                CodePointSet high = classAtom(end);
                if (!isSingle(low) || !isSingle(high)) {
                    throw unsupported("a range with a class escape");
                }
                if (low.first() > high.first()) {
                    throw unsupported("a range out of order");
                }
                set = set.union(CodePointSet.of(low.first(), high.first()));
            } else {
                set = set.union(low);
            }
        }
        if (at >= end) {
            throw unsupported("unclosed class");
        }
        at++;
        return negated ? set.complement() : set;
    }

    private static boolean isSingle(CodePointSet set) {
        return !set.isEmpty() && set.equals(CodePointSet.single(set.first()));
    }

    private CodePointSet classAtom(int end) {
        int c = cps[at];
        if (c == '\\') {
            at++;
            return escape(end, true);
        }
        at++;
        return CodePointSet.single(c);
    }

    private CodePointSet escape(int end, boolean inClass) {
        if (at >= end) {
            throw unsupported("a pattern ending in a backslash");
        }
        int c = cps[at++];
        return switch (c) {
            case 'd' -> DIGITS;
            case 'D' -> DIGITS.complement();
            case 'w' -> WORD;
            case 'W' -> WORD.complement();
            case 's' -> ASCII_SPACE;
            case 'S' -> UNICODE_SPACE.complement();
            case 't' -> CodePointSet.single('\t');
            case 'n' -> CodePointSet.single('\n');
            case 'r' -> CodePointSet.single('\r');
            case 'f' -> CodePointSet.single('\f');
            case 'v' -> CodePointSet.single(0x0B);
            case '0' -> CodePointSet.single(0);
            case 'b' -> {
                if (inClass) {
                    yield CodePointSet.single('\b');
                }
                throw unsupported("a word boundary");
            }
            case 'x' -> CodePointSet.single(hex(end, 2));
            case 'u' -> {
                if (at < end && cps[at] == '{') {
                    at++;
                    int value = 0;
                    int digits = 0;
                    while (at < end && cps[at] != '}') {
                        value = value * 16 + Character.digit(cps[at++], 16);
                        digits++;
                        if (digits > 6 || value > CodePointSet.MAX) {
                            throw unsupported("a code point out of range");
                        }
                    }
                    at++;
                    yield CodePointSet.single(value);
                }
                yield CodePointSet.single(hex(end, 4));
            }
            default -> {
                if (c >= '1' && c <= '9' || c == 'B' || c == 'c' || c == 'p' || c == 'P' || c == 'k') {
                    throw unsupported("the escape \\" + (char) c);
                }
                yield CodePointSet.single(c);
            }
        };
    }

    private int hex(int end, int digits) {
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = at < end ? Character.digit(cps[at], 16) : -1;
            if (d < 0) {
                throw unsupported("a short hex escape");
            }
            value = value * 16 + d;
            at++;
        }
        return value;
    }

    private static CodePointSet set(String chars) {
        CodePointSet set = CodePointSet.EMPTY;
        for (int c : chars.codePoints().toArray()) {
            set = set.union(CodePointSet.single(c));
        }
        return set;
    }

    private UnsupportedPatternException unsupported(String what) {
        return new UnsupportedPatternException(pattern, at, what);
    }
}
