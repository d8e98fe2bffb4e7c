package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;

/** Where a JSON value begins: its first byte picks the frame that writes it. */
public final class Values {
    private Values() {}

    /**
     * The state after the first byte {@code b} of a value of {@code node}, written on top of {@code below} (whose top
     * is the continuation that takes over when the value is finished), or null when no value can start with it.
     */
    public static State start(SchemaNode node, State below, int b) {
        return start(node, below, b, SchemaNode.ANY_TYPE);
    }

    /** Like {@link #start(SchemaNode, State, int)}, for values of the types in {@code typeFilter} only. */
    public static State start(SchemaNode node, State below, int b, int typeFilter) {
        if (node.alternatives != null) {
            int filter = typeFilter & node.types;
            for (SchemaNode alternative : node.alternatives) {
                State next = start(alternative, below, b, filter);
                if (next != null) {
                    return next;
                }
            }
            return null;
        }
        int types = node.types & typeFilter;
        if (types == 0) {
            return null;
        }
        if (node.literals != null) {
            int child = node.literals.child(0, b);
            return child < 0 ? null : LiteralFrame.after(node.literals, child, below);
        }
        switch (b) {
            case '{':
                return (types & SchemaNode.OBJECT) != 0 ? below.push(ObjectFrame.open(node)) : null;
            case '[':
                return (types & SchemaNode.ARRAY) != 0 ? below.push(ArrayFrame.open(node)) : null;
            case '"':
                if ((types & SchemaNode.STRING) == 0) {
                    return null;
                }
                return below.push(node.pattern != null ? PatternFrame.open(node.pattern) : StringFrame.open(node));
            case 't':
            case 'f':
                return (types & SchemaNode.BOOLEAN) != 0
                        ? LiteralFrame.after(LiteralFrame.BOOLEANS, LiteralFrame.BOOLEANS.child(0, b), below) : null;
            case 'n':
                return (types & SchemaNode.NULL) != 0
                        ? LiteralFrame.after(LiteralFrame.NULL, LiteralFrame.NULL.child(0, b), below) : null;
            default:
                if (b == '-' || b >= '0' && b <= '9') {
                    if ((types & (SchemaNode.NUMBER | SchemaNode.INTEGER)) == 0) {
                        return null;
                    }
                    boolean integer = (types & SchemaNode.NUMBER) == 0;
                    return NumberFrame.open(node, integer).feed(below.push(NumberFrame.open(node, integer)), b);
                }
                return null;
        }
    }
}
