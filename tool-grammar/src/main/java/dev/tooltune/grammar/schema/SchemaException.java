package dev.tooltune.grammar.schema;

/** A JSON Schema that cannot be turned into a grammar; the message names the schema location and the reason. */
public final class SchemaException extends RuntimeException {
    public SchemaException(String message) {
        super(message);
    }
}
