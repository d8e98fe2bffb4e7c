package dev.tooltune.grammar.automaton;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small trie over byte strings (property names, tool names, enum values); node 0 is the root. Compared by
 * identity: each compiled schema owns its tries.
 */
public final class ByteTrie {
    private final Map<Integer, Integer> children = new HashMap<>();
    private final Map<Integer, Integer> terminals = new HashMap<>();
    private final java.util.BitSet hasChildren = new java.util.BitSet();
    private final Map<Integer, Long> below = new HashMap<>();
    private final int[] entryLengths;
    private final int[] entryNodes;
    private int[] parents = new int[16];
    private int[] depths = new int[16];
    private int[] shortestRemaining;
    private int nodes = 1;

    /** Builds the trie; entry {@code i} ends at a node whose {@link #terminal} is {@code i} (first wins on duplicates). */
    public ByteTrie(List<byte[]> entries) {
        entryLengths = new int[entries.size()];
        entryNodes = new int[entries.size()];
        parents[0] = -1;
        for (int i = 0; i < entries.size(); i++) {
            int node = 0;
            long bit = i < 64 ? 1L << i : 0;
            below.merge(0, bit, (a, b) -> a | b);
            for (byte value : entries.get(i)) {
                int key = node << 8 | (value & 0xFF);
                Integer child = children.get(key);
                if (child == null) {
                    child = nodes++;
                    if (child == parents.length) {
                        parents = java.util.Arrays.copyOf(parents, child * 2);
                        depths = java.util.Arrays.copyOf(depths, child * 2);
                    }
                    parents[child] = node;
                    depths[child] = depths[node] + 1;
                    children.put(key, child);
                    hasChildren.set(node);
                }
                node = child;
                below.merge(node, bit, (a, b) -> a | b);
            }
            terminals.putIfAbsent(node, i);
            entryLengths[i] = entries.get(i).length;
            entryNodes[i] = node;
        }
        shortestRemaining = new int[nodes];
        java.util.Arrays.fill(shortestRemaining, Integer.MAX_VALUE);
        for (int i = 0; i < entryNodes.length; i++) {
            for (int node = entryNodes[i]; node >= 0; node = parents[node]) {
                shortestRemaining[node] = Math.min(shortestRemaining[node], entryLengths[i] - depths[node]);
            }
        }
    }

    /** How many entries the trie was built from. */
    public int entries() {
        return entryLengths.length;
    }

    /** The byte length of entry {@code i}. */
    public int entryLength(int i) {
        return entryLengths[i];
    }

    /**
     * The bytes entry {@code i} still needs after {@code node}, or -1 when the entry does not pass through
     * {@code node} (a duplicate entry counts as its first spelling).
     */
    public int remaining(int i, int node) {
        int end = terminal(entryNodes[i]) == i ? entryNodes[i] : -1;
        if (end < 0) {
            return -1;
        }
        int steps = depths[end] - depths[node];
        int at = end;
        for (int k = 0; k < steps; k++) {
            at = parents[at];
        }
        return steps >= 0 && at == node ? steps : -1;
    }

    /** The fewest bytes from {@code node} to the end of some entry (0 at an entry's end); MAX_VALUE if none. */
    public int shortestBelow(int node) {
        return shortestRemaining[node];
    }

    /** The child of {@code node} on byte {@code b}, or -1. */
    public int child(int node, int b) {
        return children.getOrDefault(node << 8 | b, -1);
    }

    /** The entry ending at {@code node}, or -1. */
    public int terminal(int node) {
        return terminals.getOrDefault(node, -1);
    }

    /** Bit i set when entry i (i < 64) ends at {@code node} or below it. */
    public long entriesBelow(int node) {
        return below.getOrDefault(node, 0L);
    }

    public boolean hasChildren(int node) {
        return hasChildren.get(node);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
