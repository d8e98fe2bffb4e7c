package dev.tooltune.grammar.automaton;

/**
 * The automaton's state: an immutable stack of {@link Frame}s, compared by value (hash computed once), so that
 * states reached on different paths share cached masks.
 */
public final class State {

    /** Returned by the bottom of a local walk when a frame hands a byte below itself. */
    public static final State REFEED = new State(null, null);

    private final Frame top;
    private final State rest;
    private final int depth;
    private final int hash;

    private State(Frame top, State rest) {
        this.top = top;
        this.rest = rest;
        this.depth = rest == null ? 1 : rest.depth + 1;
        this.hash = 31 * (rest == null ? 0 : rest.hash) + (top == null ? 0 : top.hashCode());
    }

    public static State of(Frame bottom) {
        return new State(bottom, null);
    }

    public Frame top() {
        return top;
    }

    public State rest() {
        return rest;
    }

    public int depth() {
        return depth;
    }

    public State push(Frame frame) {
        return new State(frame, this);
    }

    public State replaceTop(Frame frame) {
        return new State(frame, rest);
    }

    /** The state after byte {@code b}, or null. */
    public State step(int b) {
        return top.feed(this, b);
    }

    /** The top frame is finished without consuming {@code b}: the frame below reads it. */
    public State refeedBelow(int b) {
        return rest == null ? null : rest.top.feed(rest, b);
    }

    public boolean canEnd() {
        return top.canEnd(this);
    }

    /** Whether the frames below the top allow the output to end once the top is finished. */
    public boolean canEndBelow() {
        return rest != null && rest.canEnd();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof State other)) {
            return false;
        }
        State a = this;
        State b = other;
        while (a != null && b != null) {
            if (a == b) {
                return true;
            }
            if (a.hash != b.hash || a.depth != b.depth || !java.util.Objects.equals(a.top, b.top)) {
                return false;
            }
            a = a.rest;
            b = b.rest;
        }
        return a == b;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (State s = this; s != null; s = s.rest) {
            sb.append(s.top).append(s.rest == null ? "" : " | ");
        }
        return sb.toString();
    }
}
