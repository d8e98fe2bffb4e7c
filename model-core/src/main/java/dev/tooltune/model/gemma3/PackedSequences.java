package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;

/**
 * A training batch's sequences for varlen flash attention: {@code bounds} are the cumulative sequence lengths over
 * the flattened [B*T] tokens (int32 [S + 1], made by {@code Kernels.sequenceBounds} from the segment ids, padding
 * runs as sequences of their own) and {@code maxLength} bounds every sequence's length (the row length). Attention
 * then needs no mask tensor and no padding, and never crosses from one example into another.
 */
record PackedSequences(NDArray bounds, int maxLength) {}
