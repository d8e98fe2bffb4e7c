package dev.tooltune.dataset.validation;

/**
 * What to make of a call argument that the called tool's schema does not declare (a name missing from
 * {@code properties} while the schema says nothing about {@code additionalProperties}): the most common
 * hallucination of a tool-calling model, which a fine-tune should not learn from its own data.
 */
public enum UndeclaredArguments {
    /** A warning on the line; the example is still valid. */
    WARN,
    /** An error on the line, like any other validation failure. */
    REJECT
}
