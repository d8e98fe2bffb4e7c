package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.validation.LineRules;
import dev.tooltune.dataset.validation.UndeclaredArguments;
import java.util.Locale;

/**
 * How to import one file, parsed once from the request ({@link #parse}) and kept with the job. {@code keepInvalid}
 * (lenient only) stores examples that parse but fail validation, flagged invalid with their problems, so they can
 * be fixed in place; {@code dropDuplicates} leaves exact duplicates out instead of only reporting them;
 * {@code append} starts the new version from the dataset's latest version instead of from nothing;
 * {@code undeclaredArguments} says whether a call argument the tool's schema does not declare is a warning or an
 * error; {@code normalizeSchemaTypes} rewrites non-standard schema types ({@code dict}, {@code float}, ...) to
 * JSON Schema, with a warning, instead of reporting them as errors.
 */
public record ImportOptions(ImportJob.Mode mode, ImportFormat format, boolean keepInvalid, boolean dropDuplicates, boolean append,
                            UndeclaredArguments undeclaredArguments, boolean normalizeSchemaTypes) {

    public ImportOptions {
        if (keepInvalid && mode == ImportJob.Mode.STRICT) {
            throw ApiException.badRequest("keepInvalid=true needs mode=lenient: a strict import stores nothing when a line is invalid");
        }
    }

    public boolean strict() {
        return mode == ImportJob.Mode.STRICT;
    }

    /** What preparing each line needs to know. */
    public LineRules lineRules() {
        return new LineRules(format, undeclaredArguments, normalizeSchemaTypes);
    }

    /**
     * The options as the query string gives them (null: the default); a value that is not one of the option's
     * is a 400 that names the option and what it accepts.
     */
    public static ImportOptions parse(String mode, String format, String keepInvalid, String dropDuplicates, String append,
                                      String undeclaredArguments, String normalizeSchemaTypes) {
        ImportFormat parsedFormat;
        try {
            parsedFormat = ImportFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("format: " + e.getMessage());
        }
        return new ImportOptions(
                choice("mode", mode, ImportJob.Mode.STRICT),
                parsedFormat,
                flag("keepInvalid", keepInvalid),
                flag("dropDuplicates", dropDuplicates),
                flag("append", append),
                choice("undeclaredArguments", undeclaredArguments, UndeclaredArguments.WARN),
                flag("normalizeSchemaTypes", normalizeSchemaTypes));
    }

    static boolean flag(String option, String value) {
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest(option + " must be true or false, not \"" + abbreviate(value) + "\"");
        };
    }

    private static <E extends Enum<E>> E choice(String option, String value, E fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        for (E constant : fallback.getDeclaringClass().getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value.strip())) {
                return constant;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E constant : fallback.getDeclaringClass().getEnumConstants()) {
            allowed.append(allowed.isEmpty() ? "" : " or ").append(constant.name().toLowerCase(Locale.ROOT));
        }
        throw ApiException.badRequest(option + " must be " + allowed + ", not \"" + abbreviate(value) + "\"");
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
