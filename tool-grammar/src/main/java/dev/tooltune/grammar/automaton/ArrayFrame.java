package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;

/**
 * A JSON array of a schema, after its {@code [}: items of {@code items}, between {@code minItems} and {@code maxItems}
 * of them, separated by {@code ,} and an optional space.
 *
 * @param count items written, saturated where the bounds stop telling counts apart
 */
public record ArrayFrame(SchemaNode node, int phase, int count) implements Frame {
    static final int OPEN = 0;
    static final int AFTER_COMMA = 1;
    static final int AFTER_COMMA_SPACE = 2;
    static final int AFTER_VALUE = 3;

    static ArrayFrame open(SchemaNode node) {
        return new ArrayFrame(node, OPEN, 0);
    }

    @Override
    public State feed(State self, int b) {
        switch (phase) {
            case OPEN:
                if (b == ']') {
                    return node.minItems == 0 ? self.rest() : null;
                }
                return node.maxItems == 0 ? null : item(self, b);
            case AFTER_COMMA:
                if (b == ' ') {
                    return self.replaceTop(new ArrayFrame(node, AFTER_COMMA_SPACE, count));
                }
                return item(self, b);
            case AFTER_COMMA_SPACE:
                return item(self, b);
            case AFTER_VALUE:
                if (b == ']') {
                    return count >= node.minItems ? self.rest() : null;
                }
                return b == ',' && (node.maxItems < 0 || count < node.maxItems)
                        ? self.replaceTop(new ArrayFrame(node, AFTER_COMMA, count)) : null;
            default:
                throw new IllegalStateException("phase " + phase);
        }
    }

    @Override
    public int shortestFinish() {
        int item = Shortest.value(node.items, SchemaNode.ANY_TYPE);
        return switch (phase) {
            case OPEN -> node.minItems == 0 ? 1 : Shortest.sum(Shortest.times(node.minItems, item), node.minItems);
            case AFTER_COMMA, AFTER_COMMA_SPACE -> {
                int needed = Math.max(1, node.minItems - count);
                yield Shortest.sum(Shortest.times(needed, item), needed); // items, the commas between them, ]
            }
            case AFTER_VALUE -> Shortest.sum(Shortest.times(Math.max(0, node.minItems - count), Shortest.sum(item, 1)), 1);
            default -> throw new IllegalStateException("phase " + phase);
        };
    }

    private State item(State self, int b) {
        int cap = Math.max(node.minItems, node.maxItems);
        int written = Math.min(count + 1, cap);
        return Values.start(node.items, self.replaceTop(new ArrayFrame(node, AFTER_VALUE, written)), b);
    }

    @Override
    public String toString() {
        return "Array[" + node.path + " " + phase + " n=" + count + "]";
    }
}
