package dev.tooltune.grammar.mask;

/**
 * For token budgets: each token of a frame's local mask with its <em>rise</em>, by how many bytes it lengthens the
 * shortest completion (clamped below at -1: any token that shortens it is as good as another). Most tokens of a frame
 * share one rise (inside a string: 0, or -1 while characters are still required), so only the others are listed.
 * Computed on the first budgeted request that needs it, not with the mask.
 *
 * @param defaultRise the rise of every accepted token not in {@code exceptions} (-1 or 0)
 * @param exceptions the accepted tokens whose rise differs (a key of an optional property, an escape begun)
 * @param exceptionRises their rises
 * @param maxRise the largest rise of any accepted token
 */
public record LocalRises(int defaultRise, int[] exceptions, int[] exceptionRises, int maxRise) {}
