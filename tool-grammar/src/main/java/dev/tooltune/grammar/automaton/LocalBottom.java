package dev.tooltune.grammar.automaton;

/**
 * Stands below a frame whose local mask is being computed: the walk sees the frame finish when it reaches
 * {@link #STATE} again (the frame popped) or gets {@link State#REFEED} (the frame handed a byte below itself).
 */
public final class LocalBottom implements Frame {
    public static final State STATE = State.of(new LocalBottom());

    private LocalBottom() {}

    @Override
    public State feed(State self, int b) {
        return State.REFEED;
    }

    @Override
    public int shortestFinish() {
        return 0;
    }
}
