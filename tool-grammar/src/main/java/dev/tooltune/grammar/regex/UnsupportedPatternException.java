package dev.tooltune.grammar.regex;

/** A pattern the automaton cannot enforce while generating (it is then only checked afterwards). */
public final class UnsupportedPatternException extends RuntimeException {
    public UnsupportedPatternException(String pattern, int index, String what) {
        super("pattern " + pattern + " at " + index + ": " + what);
    }
}
