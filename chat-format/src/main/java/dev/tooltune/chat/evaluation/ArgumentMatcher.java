package dev.tooltune.chat.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * BFCL-style AST comparison of one call's arguments against the expected ones, guided by the tool's JSON
 * Schema: every required parameter present, no parameter the schema does not declare, each value of the
 * declared type, and each value equal to the expected one (numbers by value, so 3 equals 3.0 where the
 * schema says number; strings exactly; arrays in order; objects key by key, recursively). An optional
 * parameter the reference leaves out may be present in the prediction only with the schema's default.
 */
public final class ArgumentMatcher {

    private ArgumentMatcher() {}

    /** Why the arguments do not match, or null when they do. {@code schema} may be null (no tool declared). */
    public static String mismatch(JsonNode expected, JsonNode predicted, JsonNode schema) {
        if (predicted == null || !predicted.isObject()) {
            return "arguments are not a JSON object";
        }
        if (expected == null || !expected.isObject()) {
            return "reference arguments are not a JSON object";
        }
        JsonNode properties = schema == null ? null : schema.get("properties");
        if (schema != null) {
            JsonNode required = schema.get("required");
            if (required != null && required.isArray()) {
                for (JsonNode name : required) {
                    if (!predicted.has(name.asText())) {
                        return "missing required parameter '" + name.asText() + "'";
                    }
                }
            }
        }
        Set<String> seen = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = predicted.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            seen.add(name);
            JsonNode parameterSchema = properties == null ? null : properties.get(name);
            if (properties != null && parameterSchema == null) {
                return "unknown parameter '" + name + "'";
            }
            if (parameterSchema != null && !hasType(field.getValue(), parameterSchema)) {
                return "parameter '" + name + "' is not of type " + parameterSchema.path("type").asText("?");
            }
            JsonNode reference = expected.get(name);
            if (reference == null) {
                JsonNode defaultValue = parameterSchema == null ? null : parameterSchema.get("default");
                if (defaultValue == null || !sameValue(defaultValue, field.getValue())) {
                    return "unexpected parameter '" + name + "'";
                }
                continue;
            }
            if (!sameValue(reference, field.getValue())) {
                return "parameter '" + name + "' is " + field.getValue() + ", expected " + reference;
            }
        }
        for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!seen.contains(name)) {
                return "missing parameter '" + name + "'";
            }
        }
        return null;
    }

    /** Whether {@code value} has the JSON Schema type(s) of {@code schema}; an untyped schema accepts anything. */
    static boolean hasType(JsonNode value, JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type == null) {
            return enumAllows(value, schema);
        }
        if (type.isArray()) {
            for (JsonNode option : type) {
                if (hasSingleType(value, option.asText())) {
                    return enumAllows(value, schema);
                }
            }
            return false;
        }
        return hasSingleType(value, type.asText()) && enumAllows(value, schema);
    }

    private static boolean enumAllows(JsonNode value, JsonNode schema) {
        JsonNode allowed = schema.get("enum");
        if (allowed == null || !allowed.isArray()) {
            return true;
        }
        for (JsonNode option : allowed) {
            if (sameValue(option, value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasSingleType(JsonNode value, String type) {
        return switch (type) {
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber() || (value.isNumber() && value.asDouble() == Math.rint(value.asDouble()));
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "array" -> value.isArray();
            case "object" -> value.isObject();
            case "null" -> value.isNull();
            default -> true;
        };
    }

    /** Structural equality with numbers compared by value. */
    static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.getNodeType() != b.getNodeType()) {
            return false;
        }
        if (a.getNodeType() == JsonNodeType.ARRAY) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!sameValue(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.getNodeType() == JsonNodeType.OBJECT) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode other = b.get(field.getKey());
                if (other == null || !sameValue(field.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }
}
