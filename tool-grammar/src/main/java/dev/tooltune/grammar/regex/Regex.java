package dev.tooltune.grammar.regex;

import java.util.List;

/** A parsed regular expression: the part of ECMA-262 syntax that a finite automaton can enforce. */
public sealed interface Regex {

    /** One character from a set. */
    record Chars(CodePointSet set) implements Regex {}

    /** Each part in turn (empty: matches the empty string). */
    record Sequence(List<Regex> parts) implements Regex {}

    /** Any one of the options. */
    record Choice(List<Regex> options) implements Regex {}

    /** {@code body} between {@code min} and {@code max} times ({@code max} -1: unbounded). */
    record Repeat(Regex body, int min, int max) implements Regex {}

    /**
     * A JSON Schema {@code pattern} (ECMA-262 syntax, matched anywhere in the string unless anchored with {@code ^}
     * and {@code $}) as a regex over the whole string.
     *
     * @throws UnsupportedPatternException for what no finite automaton can do (back-references, look-around, word
     *     boundaries, anchors inside) or what this parser does not read: such patterns are checked after generation
     */
    static Regex ofPattern(String pattern) {
        return new RegexParser(pattern).wholeString();
    }
}
