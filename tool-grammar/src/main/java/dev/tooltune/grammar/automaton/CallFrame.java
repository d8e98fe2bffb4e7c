package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;
import java.nio.charset.StandardCharsets;

/**
 * One call inside its fence, as the formatter writes it: {@code {"name": "<tool>", "arguments": <object>}}, then
 * {@code \n```}. The name is one of the callable tools; the arguments follow that tool's schema.
 */
public record CallFrame(OutputSpec spec, int phase, int position, int tool) implements Frame {
    static final int PREFIX = 0;
    static final int NAME = 1;
    static final int MIDDLE = 2;
    static final int SUFFIX = 3;

    private static final byte[] PREFIX_BYTES = "{\"name\": \"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] MIDDLE_BYTES = ", \"arguments\": ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SUFFIX_BYTES = "}\n```".getBytes(StandardCharsets.UTF_8);

    static CallFrame open(OutputSpec spec) {
        return new CallFrame(spec, PREFIX, 0, -1);
    }

    @Override
    public State feed(State self, int b) {
        switch (phase) {
            case PREFIX:
                if (PREFIX_BYTES[position] != (byte) b) {
                    return null;
                }
                return self.replaceTop(position + 1 == PREFIX_BYTES.length
                        ? new CallFrame(spec, NAME, 0, -1) : new CallFrame(spec, PREFIX, position + 1, -1));
            case NAME: {
                if (b == '"') {
                    int chosen = spec.toolNames().terminal(position);
                    return chosen < 0 ? null : self.replaceTop(new CallFrame(spec, MIDDLE, 0, chosen));
                }
                int child = spec.toolNames().child(position, b);
                return child < 0 ? null : self.replaceTop(new CallFrame(spec, NAME, child, -1));
            }
            case MIDDLE:
                if (position == MIDDLE_BYTES.length) {
                    SchemaNode arguments = spec.arguments().get(tool);
                    return Values.start(arguments, self.replaceTop(new CallFrame(spec, SUFFIX, 0, tool)), b, SchemaNode.OBJECT);
                }
                return MIDDLE_BYTES[position] == (byte) b ? self.replaceTop(new CallFrame(spec, MIDDLE, position + 1, tool)) : null;
            case SUFFIX:
                if (SUFFIX_BYTES[position] != (byte) b) {
                    return null;
                }
                return position + 1 == SUFFIX_BYTES.length ? self.rest() : self.replaceTop(new CallFrame(spec, SUFFIX, position + 1, tool));
            default:
                throw new IllegalStateException("phase " + phase);
        }
    }

    @Override
    public int shortestFinish() {
        return switch (phase) {
            case PREFIX -> Shortest.sum(PREFIX_BYTES.length - position, nameAndRest(0));
            case NAME -> nameAndRest(position);
            case MIDDLE -> Shortest.sum(MIDDLE_BYTES.length - position, argumentsAndSuffix(tool));
            case SUFFIX -> SUFFIX_BYTES.length - position;
            default -> throw new IllegalStateException("phase " + phase);
        };
    }

    /** The whole call block from its opening brace. */
    static int shortestCall(OutputSpec spec) {
        return new CallFrame(spec, PREFIX, 0, -1).shortestFinish();
    }

    /** From {@code node} of the tool-name trie: the rest of the cheapest tool's name, its quote, and what follows. */
    private int nameAndRest(int node) {
        int best = Shortest.UNREACHABLE;
        for (int i = 0; i < spec.toolNames().entries(); i++) {
            int remaining = spec.toolNames().remaining(i, node);
            if (remaining >= 0) {
                best = Math.min(best, Shortest.sum(remaining + 1 + MIDDLE_BYTES.length, argumentsAndSuffix(i)));
            }
        }
        return best;
    }

    private int argumentsAndSuffix(int tool) {
        return Shortest.sum(Shortest.value(spec.arguments().get(tool), SchemaNode.OBJECT), SUFFIX_BYTES.length);
    }

    @Override
    public String toString() {
        return "Call[" + phase + " " + position + " tool=" + tool + "]";
    }
}
