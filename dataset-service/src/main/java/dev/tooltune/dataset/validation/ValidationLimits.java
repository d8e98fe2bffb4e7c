package dev.tooltune.dataset.validation;

import dev.tooltune.dataset.config.DatasetConfig;

/** Size limits per example; a plain record so validation runs without a container (benchmarks, unit tests). */
public record ValidationLimits(int maxLineBytes, int maxMessages, int maxTools, int maxCallsPerMessage, int maxArgumentsBytes,
                               int maxMetadataBytes) {

    public static final ValidationLimits DEFAULTS = new ValidationLimits(1 << 20, 512, 128, 32, 64 * 1024, 64 * 1024);

    public static ValidationLimits from(DatasetConfig.Limits limits) {
        return new ValidationLimits(limits.maxLineBytes(), limits.maxMessages(), limits.maxTools(),
                limits.maxCallsPerMessage(), limits.maxArgumentsBytes(), limits.maxMetadataBytes());
    }
}
