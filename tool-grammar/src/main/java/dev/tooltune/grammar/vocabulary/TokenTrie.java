package dev.tooltune.grammar.vocabulary;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.util.Arrays;

/**
 * The vocabulary as a trie over token bytes: a walk from the root steps the grammar once per byte and so checks all
 * tokens that share a prefix at once. Nodes are numbered in depth-first order; each has a first child, a next sibling,
 * its byte, and the ids of the tokens whose bytes end there (byte-fallback tokens can share bytes with text tokens).
 * Control tokens ({@code <bos>}, {@code <end_of_turn>}, ...) are not in the trie: they are never text.
 */
public final class TokenTrie {
    private final int vocabSize;
    private int[] firstChild;
    private int[] nextSibling;
    private byte[] nodeByte;
    private int[] tokenStart;
    private int[] tokenEnd;
    private final int[] tokens;
    private int nodes;
    private final int maxDepth;

    /**
     * @param tokenBytes each token's bytes, by id; null or empty leaves the token out
     */
    public TokenTrie(byte[][] tokenBytes) {
        this.vocabSize = tokenBytes.length;
        Integer[] order = new Integer[vocabSize];
        int count = 0;
        for (int id = 0; id < vocabSize; id++) {
            if (tokenBytes[id] != null && tokenBytes[id].length > 0) {
                order[count++] = id;
            }
        }
        Integer[] ids = Arrays.copyOf(order, count);
        Arrays.sort(ids, (a, b) -> Arrays.compareUnsigned(tokenBytes[a], tokenBytes[b]));
        int capacity = Math.max(16, count * 3);
        firstChild = new int[capacity];
        nextSibling = new int[capacity];
        nodeByte = new byte[capacity];
        tokenStart = new int[capacity];
        tokenEnd = new int[capacity];
        tokens = new int[count];
        nodes = 1;
        firstChild[0] = -1;
        nextSibling[0] = -1;
        int[] path = new int[1];
        int[] lastChild = new int[capacity];
        lastChild[0] = -1;
        byte[] previous = new byte[0];
        int deepest = 0;
        for (int i = 0; i < count; i++) {
            byte[] bytes = tokenBytes[ids[i]];
            deepest = Math.max(deepest, bytes.length);
            if (path.length < bytes.length + 1) {
                path = Arrays.copyOf(path, bytes.length * 2 + 1);
            }
            int common = 0;
            while (common < previous.length && common < bytes.length && previous[common] == bytes[common]) {
                common++;
            }
            if (i == 0) {
                common = 0;
            }
            for (int d = common; d < bytes.length; d++) {
                int parent = path[d];
                int node = newNode(bytes[d]);
                if (node >= lastChild.length) {
                    lastChild = Arrays.copyOf(lastChild, firstChild.length);
                }
                lastChild[node] = -1;
                if (lastChild[parent] < 0) {
                    firstChild[parent] = node;
                } else {
                    nextSibling[lastChild[parent]] = node;
                }
                lastChild[parent] = node;
                path[d + 1] = node;
            }
            int end = path[bytes.length];
            if (i == 0 || !Arrays.equals(previous, bytes)) {
                tokenStart[end] = i; // equal byte strings are adjacent in sorted order
            }
            tokens[i] = ids[i];
            tokenEnd[end] = i + 1;
            previous = bytes;
        }
        this.maxDepth = deepest;
    }

    private int newNode(byte b) {
        if (nodes == firstChild.length) {
            int grown = nodes * 2;
            firstChild = Arrays.copyOf(firstChild, grown);
            nextSibling = Arrays.copyOf(nextSibling, grown);
            nodeByte = Arrays.copyOf(nodeByte, grown);
            tokenStart = Arrays.copyOf(tokenStart, grown);
            tokenEnd = Arrays.copyOf(tokenEnd, grown);
        }
        int node = nodes++;
        firstChild[node] = -1;
        nextSibling[node] = -1;
        nodeByte[node] = b;
        tokenStart[node] = 0;
        tokenEnd[node] = 0;
        return node;
    }

    /** The trie of {@code tokenizer}'s text tokens (control tokens left out). */
    public static TokenTrie of(GemmaTokenizer tokenizer) {
        byte[][] bytes = new byte[tokenizer.vocabSize()][];
        for (int id = 0; id < bytes.length; id++) {
            if (!tokenizer.isSpecial(id)) {
                bytes[id] = tokenizer.tokenBytesView(id);
            }
        }
        return new TokenTrie(bytes);
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** Words of a mask over the vocabulary. */
    public int maskWords() {
        return (vocabSize + 63) >>> 6;
    }

    public int nodeCount() {
        return nodes;
    }

    /** The longest token, in bytes. */
    public int maxDepth() {
        return maxDepth;
    }

    public int firstChild(int node) {
        return firstChild[node];
    }

    public int nextSibling(int node) {
        return nextSibling[node];
    }

    /** The byte leading to {@code node}, 0..255. */
    public int byteOf(int node) {
        return nodeByte[node] & 0xFF;
    }

    public int tokenStart(int node) {
        return tokenStart[node];
    }

    public int tokenEnd(int node) {
        return tokenEnd[node];
    }

    /** The id at position {@code i} of the depth-first token order. */
    public int token(int i) {
        return tokens[i];
    }
}
