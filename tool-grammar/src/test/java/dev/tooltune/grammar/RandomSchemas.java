package dev.tooltune.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random JSON Schemas over the enforced keywords, and random values near them: valid ones and ones broken in one
 * way or another (wrong type, missing or unknown key, out of range, too long, too few items, not in the enum).
 */
final class RandomSchemas {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String[] NAMES = {"city", "name", "count", "tags", "unit", "q", "имя", "size_mm", "a\"b", "note"};
    private static final String[] TEXTS = {"", "a", "Paris", "naïve café", "Москва", "😀 ok", "line\nbreak", "tab\there",
            "quote \" and \\ slash", "日本語テキスト", "x".repeat(12), "ünïcödé", "{\"json\": [1]}", "control \u0001"};

    private final Random random;

    RandomSchemas(Random random) {
        this.random = random;
    }

    /**
     * What generation enforces: a copy of one of these schemas in which every object schema that declares properties
     * and says nothing of additionalProperties has {@code additionalProperties: false}.
     */
    static JsonNode closed(JsonNode schema) {
        JsonNode copy = schema.deepCopy();
        close(copy);
        return copy;
    }

    private static void close(JsonNode schema) {
        if (!(schema instanceof ObjectNode object)) {
            return;
        }
        if (object.get("properties") instanceof ObjectNode properties) {
            if (!object.has("additionalProperties") && !object.has("patternProperties")) {
                object.put("additionalProperties", false);
                // a required key outside properties is declared all the same
                for (JsonNode name : object.path("required")) {
                    if (!properties.has(name.asText())) {
                        properties.putObject(name.asText());
                    }
                }
            }
            properties.forEach(RandomSchemas::close);
        }
        close(object.get("items"));
        object.path("anyOf").forEach(RandomSchemas::close);
        object.path("oneOf").forEach(RandomSchemas::close);
        object.path("$defs").forEach(RandomSchemas::close);
    }

    /** An object schema (a tool's parameters), sometimes with $defs and a $ref. */
    ObjectNode toolSchema() {
        ObjectNode schema = object(0);
        if (random.nextInt(4) == 0) {
            ObjectNode defs = schema.putObject("$defs");
            defs.set("shared", leaf());
            ((ObjectNode) schema.get("properties")).putObject("ref_field").put("$ref", "#/$defs/shared");
        }
        return schema;
    }

    private JsonNode schema(int depth) {
        int kind = random.nextInt(depth >= 2 ? 5 : 8);
        return switch (kind) {
            case 5 -> object(depth + 1);
            case 6 -> array(depth + 1);
            case 7 -> alternatives();
            default -> leaf();
        };
    }

    private ObjectNode object(int depth) {
        ObjectNode schema = F.objectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        List<String> names = new ArrayList<>(List.of(NAMES));
        Collections.shuffle(names, random);
        int count = 1 + random.nextInt(4);
        ArrayNode required = F.arrayNode();
        for (int i = 0; i < count; i++) {
            properties.set(names.get(i), schema(depth));
            if (random.nextBoolean()) {
                required.add(names.get(i));
            }
        }
        if (!required.isEmpty()) {
            schema.set("required", required);
        }
        switch (random.nextInt(3)) {
            case 0 -> schema.put("additionalProperties", false);
            case 1 -> schema.put("additionalProperties", true);
            default -> { }
        }
        return schema;
    }

    private ObjectNode array(int depth) {
        ObjectNode schema = F.objectNode().put("type", "array");
        schema.set("items", schema(depth));
        if (random.nextBoolean()) {
            schema.put("minItems", random.nextInt(3));
        }
        if (random.nextBoolean()) {
            schema.put("maxItems", schema.path("minItems").asInt(0) + random.nextInt(3));
        }
        return schema;
    }

    private ObjectNode alternatives() {
        ObjectNode schema = F.objectNode();
        if (random.nextBoolean()) {
            schema.putArray("type").add("string").add("null");
            return schema;
        }
        ArrayNode list = schema.putArray(random.nextBoolean() ? "anyOf" : "oneOf");
        list.addObject().put("type", "integer").put("minimum", -5).put("maximum", 50);
        list.addObject().put("type", "string").put("maxLength", 8);
        if (random.nextBoolean()) {
            list.addObject().put("type", "boolean");
        }
        return schema;
    }

    private ObjectNode leaf() {
        ObjectNode schema = F.objectNode();
        switch (random.nextInt(7)) {
            case 0 -> {
                schema.put("type", "string");
                if (random.nextBoolean()) {
                    schema.put("minLength", random.nextInt(4));
                }
                if (random.nextBoolean()) {
                    schema.put("maxLength", schema.path("minLength").asInt(0) + random.nextInt(12));
                }
            }
            case 1 -> {
                schema.put("type", "string");
                ArrayNode values = schema.putArray("enum");
                values.add("low").add("high").add("très haut");
                if (random.nextBoolean()) {
                    values.add("lowest");
                }
            }
            case 2 -> {
                schema.put("type", "integer");
                if (random.nextBoolean()) {
                    schema.put("minimum", random.nextInt(30) - 10);
                }
                if (random.nextBoolean()) {
                    schema.put("maximum", schema.path("minimum").asInt(-10) + random.nextInt(200));
                }
            }
            case 3 -> {
                schema.put("type", "number");
                if (random.nextBoolean()) {
                    schema.put(random.nextBoolean() ? "minimum" : "exclusiveMinimum", new BigDecimal("-2.5"));
                }
                if (random.nextBoolean()) {
                    schema.put(random.nextBoolean() ? "maximum" : "exclusiveMaximum", new BigDecimal("99.75"));
                }
            }
            case 4 -> schema.put("type", "boolean");
            case 5 -> schema.put("const", random.nextBoolean() ? "fixed" : "42");
            default -> schema.put("type", "null");
        }
        return schema;
    }

    /** A value for {@code schema}: valid, or broken somewhere with probability about {@code breakChance} per node. */
    JsonNode value(JsonNode schema, JsonNode root, double breakChance) {
        if (schema.has("$ref")) {
            return value(root.at(schema.get("$ref").asText().substring(1)), root, breakChance);
        }
        if (random.nextDouble() < breakChance / 3) {
            return wrongValue();
        }
        if (schema.has("const")) {
            return schema.get("const").deepCopy();
        }
        if (schema.has("enum")) {
            return random.nextDouble() < breakChance ? F.textNode("medium") : schema.get("enum").get(random.nextInt(schema.get("enum").size()));
        }
        if (schema.has("anyOf") || schema.has("oneOf")) {
            JsonNode list = schema.has("anyOf") ? schema.get("anyOf") : schema.get("oneOf");
            return value(list.get(random.nextInt(list.size())), root, breakChance);
        }
        JsonNode type = schema.get("type");
        String t = type == null ? "object" : type.isArray() ? type.get(random.nextInt(type.size())).asText() : type.asText();
        switch (t) {
            case "object": {
                ObjectNode out = F.objectNode();
                JsonNode properties = schema.path("properties");
                List<String> names = new ArrayList<>();
                properties.fieldNames().forEachRemaining(names::add);
                Collections.shuffle(names, random);
                for (String name : names) {
                    boolean required = false;
                    for (JsonNode r : schema.path("required")) {
                        required |= r.asText().equals(name);
                    }
                    boolean include = required ? random.nextDouble() >= breakChance / 2 : random.nextBoolean();
                    if (include) {
                        out.set(name, value(properties.get(name), root, breakChance));
                    }
                }
                if (random.nextDouble() < breakChance / 2) {
                    out.put("unexpected", 1);
                }
                return out;
            }
            case "array": {
                int min = schema.path("minItems").asInt(0);
                int max = schema.path("maxItems").asInt(min + 3);
                int n = min + random.nextInt(max - min + 1);
                if (random.nextDouble() < breakChance / 2) {
                    n = random.nextBoolean() ? max + 1 : Math.max(0, min - 1);
                }
                ArrayNode out = F.arrayNode();
                for (int i = 0; i < n; i++) {
                    out.add(value(schema.get("items"), root, breakChance));
                }
                return out;
            }
            case "string": {
                String text = TEXTS[random.nextInt(TEXTS.length)];
                return F.textNode(text);
            }
            case "integer": {
                int low = schema.path("minimum").asInt(-20);
                int high = schema.path("maximum").asInt(low + 300);
                long v = low + random.nextInt(Math.max(1, high - low + 1));
                if (random.nextDouble() < breakChance / 2) {
                    v = random.nextBoolean() ? high + 1 + random.nextInt(1000) : low - 1 - random.nextInt(5);
                }
                return F.numberNode(v);
            }
            case "number": {
                String[] numbers = {"0", "-2.5", "-2.4", "-2.51", "3.14159", "99.75", "99.7499", "100", "-0.5", "12", "-3"};
                return F.numberNode(new BigDecimal(numbers[random.nextInt(numbers.length)]));
            }
            case "boolean":
                return F.booleanNode(random.nextBoolean());
            default:
                return F.nullNode();
        }
    }

    private JsonNode wrongValue() {
        return switch (random.nextInt(5)) {
            case 0 -> F.textNode("wrong");
            case 1 -> F.numberNode(7);
            case 2 -> F.booleanNode(true);
            case 3 -> F.nullNode();
            default -> F.arrayNode().add(1);
        };
    }

    static Iterator<Map.Entry<String, JsonNode>> fields(JsonNode node) {
        return node.fields();
    }
}
