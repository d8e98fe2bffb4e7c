package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The fewest bytes that complete an output from a state: what lets a decoder with a token budget ({@code max_tokens})
 * always close what it opened instead of stopping inside a string. Each frame says what finishing itself costs once
 * the frames above it are finished ({@link Frame#shortestFinish()}); a state's cost is the sum down its stack.
 * Schema nodes carry the length of their shortest value ({@link SchemaNode#shortest}), found by a fixpoint over the
 * nodes, so recursive {@code $ref}s converge and an unsatisfiable node stays {@link #UNREACHABLE}.
 *
 * <p>The costs are shortest lengths (a few bounds are over-approximated, never under), and at every state some byte
 * lowers the cost by at least one. Every ASCII byte is a token of its own in the vocabularies we serve, so a state of
 * cost {@code c} can always end within {@code c} tokens: keeping every sampled token's cost within the tokens left
 * makes a tool call finish before the budget does.
 */
public final class Shortest {
    /** The cost of what cannot be completed; sums saturate at it. */
    public static final int UNREACHABLE = SchemaNode.UNREACHABLE;

    /** The bytes a JSON value can start with: {@code { [ " t f n -} and digits (literals are JSON texts too). */
    private static final byte[] VALUE_STARTS = "{[\"tfn-0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Shortest() {}

    /** The fewest bytes after which the output of {@code state} may end. */
    public static int completion(State state) {
        int total = 0;
        for (State s = state; s != null; s = s.rest()) {
            Frame frame = s.top();
            if (frame instanceof TextFrame) {
                // Plain text may end the whole answer; the output frame below only matters once a call starts.
                return sum(total, frame.shortestFinish());
            }
            total = sum(total, frame.shortestFinish());
        }
        return total;
    }

    /** {@code a + b}, saturating at {@link #UNREACHABLE}. */
    public static int sum(int a, int b) {
        return a >= UNREACHABLE || b >= UNREACHABLE ? UNREACHABLE : Math.min(UNREACHABLE, a + b);
    }

    /** {@code count * each}, saturating at {@link #UNREACHABLE}. */
    static int times(int count, int each) {
        if (count == 0) {
            return 0;
        }
        return each >= UNREACHABLE ? UNREACHABLE : (int) Math.min(UNREACHABLE, (long) count * each);
    }

    /** The length of the shortest value of {@code node} among the types of {@code filter}, read off its frames. */
    static int value(SchemaNode node, int filter) {
        if (filter == SchemaNode.ANY_TYPE) {
            return node.shortest;
        }
        if (filter == SchemaNode.OBJECT) {
            return node.shortestObject;
        }
        return byFirstByte(node, filter);
    }

    /**
     * Fills {@link SchemaNode#shortest} (and {@link SchemaNode#shortestObject}) of {@code root} and every node below
     * it: repeated rounds over the nodes, each value computed from its children's current ones, until nothing
     * shrinks (Bellman-Ford; at most one round per node).
     */
    public static void prepare(SchemaNode root) {
        List<SchemaNode> nodes = reachable(root);
        boolean changed = true;
        for (int round = 0; changed && round <= nodes.size() + 1; round++) {
            changed = false;
            for (SchemaNode node : nodes) {
                int length = byFirstByte(node, SchemaNode.ANY_TYPE);
                if (length < node.shortest) {
                    node.shortest = length;
                    changed = true;
                }
            }
        }
        for (SchemaNode node : nodes) {
            node.shortestObject = byFirstByte(node, SchemaNode.OBJECT);
        }
    }

    /** As the automaton does it: each possible first byte picks its frame, whose cost gives the rest. */
    private static int byFirstByte(SchemaNode node, int filter) {
        int best = UNREACHABLE;
        for (byte b : VALUE_STARTS) {
            State after = Values.start(node, LocalBottom.STATE, b, filter);
            if (after != null) {
                best = Math.min(best, sum(1, completion(after)));
            }
        }
        return best;
    }

    /** The schema nodes reachable from {@code root} (each once). */
    public static List<SchemaNode> reachable(SchemaNode root) {
        Set<SchemaNode> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<SchemaNode> order = new ArrayList<>();
        ArrayDeque<SchemaNode> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            SchemaNode node = pending.pop();
            if (node == SchemaNode.ANY || !seen.add(node)) {
                continue;
            }
            order.add(node);
            List<SchemaNode> children = new ArrayList<>(node.propertySchemas);
            children.add(node.additional);
            children.add(node.items);
            if (node.alternatives != null) {
                children.addAll(node.alternatives);
            }
            for (SchemaNode child : children) {
                if (child != null) {
                    pending.push(child);
                }
            }
        }
        Collections.reverse(order); // leaves first: most values settle in the first round
        return order;
    }
}
