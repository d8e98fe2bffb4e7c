package dev.tooltune.grammar.mask;

/**
 * What a frame allows on its own, whatever lies below it on the stack: {@code accepted} are the tokens consumed
 * entirely inside the frame (context-independent, cached once); each exit is a trie node where the frame finished
 * and the frames below decide (checked per state at run time).
 *
 * @param exitNodes the trie node reached by the byte on which the frame finished
 * @param exitConsumed whether the frame consumed that byte (a closing quote) or handed it below (a number's end)
 */
public record LocalMask(long[] accepted, int[] exitNodes, boolean[] exitConsumed) {}
