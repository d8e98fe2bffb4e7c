package dev.tooltune.inference.api;

import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI's response_format: text, json_object, or json_schema with its {@code schema}. */
public record ResponseFormat(Type type, String name, JsonNode schema) {

    public enum Type { TEXT, JSON_OBJECT, JSON_SCHEMA }

    public static final ResponseFormat TEXT = new ResponseFormat(Type.TEXT, null, null);

    public boolean json() {
        return type != Type.TEXT;
    }
}
