package dev.tooltune.grammar.automaton;

/**
 * One level of the byte-level pushdown automaton: a JSON value being written, an object between its keys, the
 * tool-call frame around the arguments. Frames are immutable values (records): equal frames behave alike, which is
 * what lets masks be cached per state.
 *
 * <p>A frame that finishes returns {@code self.rest()} (the very object, so that a local walk can see the exit);
 * a frame that finishes on a byte that belongs to its parent (a number ended by a comma) hands the byte on with
 * {@link State#refeedBelow(int)}.
 */
public interface Frame {

    /** The state after {@code b} (0..255) when this frame is the top of {@code self}, or null when {@code b} is not allowed. */
    State feed(State self, int b);

    /**
     * The fewest bytes that finish this frame (pop it, or bring it where its parent's next byte ends it), with the
     * frames above it finished; {@link Shortest#UNREACHABLE} when it cannot finish. See {@link Shortest}.
     */
    int shortestFinish();

    /** Whether the output may end with this frame on top (only where nothing more is needed). */
    default boolean canEnd(State self) {
        return false;
    }

    /**
     * The frame whose walk over the vocabulary gives this frame's context-independent mask: itself, or a copy with
     * counters saturated where no single token can tell them apart (a string's remaining length).
     */
    default Frame localKey() {
        return this;
    }

    /** Whether the frame's local mask depends on nothing grammar-specific, so all grammars of a vocabulary share it. */
    default boolean sharedLocal() {
        return false;
    }
}
