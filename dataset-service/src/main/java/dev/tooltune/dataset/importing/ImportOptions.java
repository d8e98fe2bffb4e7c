package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.ImportFormat;

/**
 * How to import one file. {@code keepInvalid} (lenient only) stores examples that parse but fail validation,
 * flagged invalid with their problems, so they can be fixed in place; {@code dropDuplicates} leaves exact
 * duplicates out instead of only reporting them; {@code append} starts the new version from the dataset's
 * latest version instead of from nothing.
 */
public record ImportOptions(ImportJob.Mode mode, ImportFormat format, boolean keepInvalid, boolean dropDuplicates, boolean append) {}
