package dev.tooltune.dataset.validation;

import dev.tooltune.chat.importing.ImportFormat;

/**
 * The choices that change how one line becomes an example: its record format, whether undeclared call
 * arguments are warnings or errors, and whether non-standard schema type names (BFCL's {@code dict},
 * {@code float}, ...) are rewritten to JSON Schema (reported as warnings) or reported as errors.
 */
public record LineRules(ImportFormat format, UndeclaredArguments undeclaredArguments, boolean normalizeSchemaTypes) {

    /** OpenAI format, undeclared arguments warned about, schema types left as they are. */
    public static final LineRules DEFAULTS = new LineRules(ImportFormat.OPENAI, UndeclaredArguments.WARN, false);

    public static LineRules of(ImportFormat format) {
        return new LineRules(format, UndeclaredArguments.WARN, false);
    }
}
