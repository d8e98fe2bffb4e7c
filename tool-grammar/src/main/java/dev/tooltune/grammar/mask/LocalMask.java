package dev.tooltune.grammar.mask;

/**
 * What a frame allows on its own, whatever lies below it on the stack: {@code accepted} are the tokens consumed
 * entirely inside the frame (context-independent, cached once); each exit is a trie node where the frame finished
 * and the frames below decide (checked per state at run time).
 *
 * <p>For token budgets, each accepted token's <em>rise</em>: by how many bytes it lengthens the shortest completion
 * (clamped below at -1: any token that shortens it is as good as another). Most tokens of a frame share one rise
 * (inside a string: 0, or -1 while characters are still required), so only the others are listed.
 *
 * @param exitNodes the trie node reached by the byte on which the frame finished
 * @param exitConsumed whether the frame consumed that byte (a closing quote) or handed it below (a number's end)
 * @param defaultRise the rise of every accepted token not in {@code exceptions} (-1 or 0)
 * @param exceptions the accepted tokens whose rise differs (a key of an optional property, an escape begun)
 * @param exceptionRises their rises
 * @param maxRise the largest rise of any accepted token
 */
public record LocalMask(long[] accepted, int[] exitNodes, boolean[] exitConsumed, int defaultRise, int[] exceptions,
                        int[] exceptionRises, int maxRise) {}
