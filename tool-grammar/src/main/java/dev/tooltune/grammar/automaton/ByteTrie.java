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
    private int nodes = 1;

    /** Builds the trie; entry {@code i} ends at a node whose {@link #terminal} is {@code i} (first wins on duplicates). */
    public ByteTrie(List<byte[]> entries) {
        for (int i = 0; i < entries.size(); i++) {
            int node = 0;
            long bit = i < 64 ? 1L << i : 0;
            below.merge(0, bit, (a, b) -> a | b);
            for (byte value : entries.get(i)) {
                int key = node << 8 | (value & 0xFF);
                Integer child = children.get(key);
                if (child == null) {
                    child = nodes++;
                    children.put(key, child);
                    hasChildren.set(node);
                }
                node = child;
                below.merge(node, bit, (a, b) -> a | b);
            }
            terminals.putIfAbsent(node, i);
        }
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
