package dev.tooltune.grammar.automaton;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** One of a fixed set of JSON texts ({@code enum}, {@code const}, {@code true}/{@code false}/{@code null}), byte by byte. */
public record LiteralFrame(ByteTrie values, int node) implements Frame {
    public static final ByteTrie BOOLEANS = trie("true", "false");
    public static final ByteTrie NULL = trie("null");

    /** The state once {@code node} of {@code values} is reached, on top of {@code below}: popped when nothing can follow. */
    static State after(ByteTrie values, int node, State below) {
        if (!values.hasChildren(node)) {
            return below;
        }
        return below.push(new LiteralFrame(values, node));
    }

    @Override
    public State feed(State self, int b) {
        int child = values.child(node, b);
        if (child >= 0) {
            return after(values, child, self.rest());
        }
        return values.terminal(node) >= 0 ? self.refeedBelow(b) : null;
    }

    @Override
    public int shortestFinish() {
        if (values.terminal(node) >= 0) {
            return 0;
        }
        int rest = values.shortestBelow(node);
        return rest == Integer.MAX_VALUE ? Shortest.UNREACHABLE : rest;
    }

    @Override
    public boolean canEnd(State self) {
        return values.terminal(node) >= 0 && self.canEndBelow();
    }

    private static ByteTrie trie(String... texts) {
        return new ByteTrie(java.util.Arrays.stream(texts).map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
    }

    @Override
    public String toString() {
        return "Literal@" + node;
    }
}
