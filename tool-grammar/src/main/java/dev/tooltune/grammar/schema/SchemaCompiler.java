package dev.tooltune.grammar.schema;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.toolcall.CanonicalJson;
import dev.tooltune.grammar.automaton.ByteTrie;
import dev.tooltune.grammar.regex.Formats;
import dev.tooltune.grammar.regex.PatternMachine;
import dev.tooltune.grammar.regex.UnsupportedPatternException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compiles a JSON Schema (draft 4 to 2020-12 keywords) into {@link SchemaNode}s. Keywords it cannot enforce token by
 * token are collected in {@link #postChecked()}: the output is validated against the full schema afterwards.
 * Only local {@code $ref}s ({@code #}, {@code #/$defs/...}, {@code #/definitions/...}) are followed, never remote ones.
 */
public final class SchemaCompiler {
    /** Keywords that only annotate: nothing to enforce or check. */
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "$comment", "$defs", "definitions",
            "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$anchor");

    private final JsonNode root;
    private final Map<JsonNode, SchemaNode> compiled = new IdentityHashMap<>();
    private final Set<String> postChecked = new TreeSet<>();

    private SchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /** The root node of {@code schema}; {@code null} or a missing schema means any JSON value. */
    public static Result compile(JsonNode schema) {
        SchemaCompiler compiler = new SchemaCompiler(schema);
        SchemaNode node = schema == null || schema.isMissingNode() || schema.isNull()
                ? SchemaNode.ANY : compiler.node(schema, "#");
        return new Result(node, List.copyOf(compiler.postChecked));
    }

    /** The compiled root and the keywords (with their location) that are checked only after generation. */
    public record Result(SchemaNode root, List<String> postChecked) {}

    private SchemaNode node(JsonNode schema, String path) {
        if (schema.isBoolean()) {
            if (schema.booleanValue()) {
                return SchemaNode.ANY;
            }
            SchemaNode nothing = new SchemaNode(path);
            nothing.types = 0;
            return nothing;
        }
        if (!schema.isObject()) {
            throw new SchemaException(path + ": a schema must be an object or a boolean, found " + schema.getNodeType());
        }
        SchemaNode done = compiled.get(schema);
        if (done != null) {
            return done;
        }
        SchemaNode node = new SchemaNode(path);
        compiled.put(schema, node);
        if (schema.has("$ref")) {
            SchemaNode target = node(resolve(schema.get("$ref"), path), path + "/$ref");
            if (schema.size() > 1) {
                noteOtherKeywords(schema, path, Set.of("$ref"));
            }
            copy(target, node);
            return node;
        }
        Set<String> handled = new LinkedHashSet<>();
        node.types = types(schema, path, handled);
        if (schema.has("anyOf") || schema.has("oneOf")) {
            String keyword = schema.has("anyOf") ? "anyOf" : "oneOf";
            handled.add(keyword);
            if (keyword.equals("oneOf")) {
                postChecked.add(path + "/oneOf (exactly one)");
            }
            if (schema.has("anyOf") && schema.has("oneOf")) {
                postChecked.add(path + "/oneOf");
                handled.add("oneOf");
            }
            JsonNode list = schema.get(keyword);
            if (!list.isArray() || list.isEmpty()) {
                throw new SchemaException(path + "/" + keyword + ": must be a non-empty array");
            }
            node.alternatives = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                node.alternatives.add(node(list.get(i), path + "/" + keyword + "/" + i));
            }
        }
        objectKeywords(schema, node, path, handled);
        arrayKeywords(schema, node, path, handled);
        stringKeywords(schema, node, path, handled);
        numberKeywords(schema, node, path, handled);
        literalKeywords(schema, node, path, handled);
        noteOtherKeywords(schema, path, handled);
        if (node.alternatives != null && !schema.has("type")) {
            // The alternatives decide the type; the node's own keywords constrain what they share.
            node.types = SchemaNode.ANY_TYPE;
        }
        return node;
    }

    private static void copy(SchemaNode from, SchemaNode to) {
        to.types = from.types;
        to.literals = from.literals;
        to.alternatives = from.alternatives;
        to.propertyNames = from.propertyNames;
        to.propertySchemas = from.propertySchemas;
        to.propertyKeys = from.propertyKeys;
        to.required = from.required;
        to.additional = from.additional;
        to.items = from.items;
        to.minItems = from.minItems;
        to.maxItems = from.maxItems;
        to.minLength = from.minLength;
        to.maxLength = from.maxLength;
        to.pattern = from.pattern;
        to.minimum = from.minimum;
        to.minimumExclusive = from.minimumExclusive;
        to.maximum = from.maximum;
        to.maximumExclusive = from.maximumExclusive;
        if (from.alternatives == null && from.propertyKeys == null && from.types != 0) {
            // A forward reference to a node still being compiled (a recursive schema): share it instead.
            to.alternatives = List.of(from);
        }
    }

    private JsonNode resolve(JsonNode ref, String path) {
        if (!ref.isTextual()) {
            throw new SchemaException(path + "/$ref: must be a string");
        }
        String target = ref.textValue();
        if (!target.startsWith("#")) {
            throw new SchemaException(path + "/$ref: only local references (#/...) are followed, not " + target);
        }
        JsonNode resolved = target.equals("#") ? root : root.at(target.substring(1));
        if (resolved.isMissingNode()) {
            throw new SchemaException(path + "/$ref: " + target + " does not exist in the schema");
        }
        return resolved;
    }

    private int types(JsonNode schema, String path, Set<String> handled) {
        JsonNode type = schema.get("type");
        if (type == null) {
            return SchemaNode.ANY_TYPE;
        }
        handled.add("type");
        int mask = 0;
        if (type.isTextual()) {
            mask = type(type.textValue(), path);
        } else if (type.isArray()) {
            for (JsonNode t : type) {
                mask |= type(t.asText(), path);
            }
        } else {
            throw new SchemaException(path + "/type: must be a string or an array of strings");
        }
        return mask;
    }

    private static int type(String name, String path) {
        return switch (name) {
            case "object" -> SchemaNode.OBJECT;
            case "array" -> SchemaNode.ARRAY;
            case "string" -> SchemaNode.STRING;
            case "number" -> SchemaNode.NUMBER | SchemaNode.INTEGER;
            case "integer" -> SchemaNode.INTEGER;
            case "boolean" -> SchemaNode.BOOLEAN;
            case "null" -> SchemaNode.NULL;
            default -> throw new SchemaException(path + "/type: unknown type \"" + name + "\"");
        };
    }

    private void objectKeywords(JsonNode schema, SchemaNode node, String path, Set<String> handled) {
        JsonNode properties = schema.get("properties");
        if (properties != null) {
            handled.add("properties");
            Iterator<Map.Entry<String, JsonNode>> fields = properties.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                node.propertyNames.add(field.getKey());
                node.propertySchemas.add(node(field.getValue(), path + "/properties/" + field.getKey()));
            }
        }
        JsonNode additional = schema.get("additionalProperties");
        boolean closedByDefault = false;
        if (additional != null) {
            handled.add("additionalProperties");
            node.additional = additional.isBoolean() && !additional.booleanValue()
                    ? null : node(additional, path + "/additionalProperties");
        } else if (properties != null && !schema.has("patternProperties")) {
            // An object that declares its properties and says nothing of others: generation writes only the declared
            // ones (as XGrammar does by default and OpenAI's strict mode requires), so that a weak model cannot
            // invent keys the tool never declared. additionalProperties: true (or a schema) keeps extras allowed;
            // validating stored data still follows JSON Schema (chat-format's validator), where extras are allowed.
            node.additional = null;
            closedByDefault = true;
        }
        JsonNode required = schema.get("required");
        if (required != null && required.isArray()) {
            handled.add("required");
            for (JsonNode name : required) {
                int index = node.propertyNames.indexOf(name.asText());
                if (index < 0 && closedByDefault) {
                    // Required though not in properties: declared all the same, with any value.
                    index = node.propertyNames.size();
                    node.propertyNames.add(name.asText());
                    node.propertySchemas.add(SchemaNode.ANY);
                } else if (index < 0) {
                    if (node.additional == null) {
                        throw new SchemaException(path + "/required: \"" + name.asText()
                                + "\" is required but not in properties, and additionalProperties is false");
                    }
                    index = node.propertyNames.size();
                    node.propertyNames.add(name.asText());
                    node.propertySchemas.add(node.additional);
                }
                node.required |= 1L << index;
            }
        }
        if (node.propertyNames.size() > 64) {
            throw new SchemaException(path + "/properties: more than 64 properties are not supported");
        }
        for (int i = 0; i < node.propertySchemas.size(); i++) {
            if ((node.required & (1L << i)) != 0 && node.propertySchemas.get(i).types == 0) {
                throw new SchemaException(path + "/properties/" + node.propertyNames.get(i)
                        + ": required but its schema is false");
            }
        }
        List<byte[]> keys = new ArrayList<>();
        for (String name : node.propertyNames) {
            keys.add(stringContent(name));
        }
        node.propertyKeys = new ByteTrie(keys);
    }

    private void arrayKeywords(JsonNode schema, SchemaNode node, String path, Set<String> handled) {
        JsonNode items = schema.get("items");
        if (items != null) {
            handled.add("items");
            if (items.isArray()) {
                postChecked.add(path + "/items (tuple form)");
            } else {
                node.items = node(items, path + "/items");
            }
        }
        node.minItems = nonNegative(schema, "minItems", path, handled, 0);
        node.maxItems = nonNegative(schema, "maxItems", path, handled, -1);
        if (node.maxItems >= 0 && node.minItems > node.maxItems) {
            throw new SchemaException(path + ": minItems " + node.minItems + " > maxItems " + node.maxItems);
        }
        if (node.minItems > 0 && node.items.types == 0) {
            throw new SchemaException(path + ": minItems " + node.minItems + " but items is false");
        }
    }

    private void stringKeywords(JsonNode schema, SchemaNode node, String path, Set<String> handled) {
        node.minLength = nonNegative(schema, "minLength", path, handled, 0);
        node.maxLength = nonNegative(schema, "maxLength", path, handled, -1);
        if (node.maxLength >= 0 && node.minLength > node.maxLength) {
            throw new SchemaException(path + ": minLength " + node.minLength + " > maxLength " + node.maxLength);
        }
        // A pattern, else a format the grammar knows, is enforced while generating; with length bounds too (rare)
        // it is left to the post-check, as is anything the pattern automaton cannot do.
        JsonNode pattern = schema.get("pattern");
        JsonNode format = schema.get("format");
        String keyword = pattern != null && pattern.isTextual() ? "pattern" : "format";
        String regex = keyword.equals("pattern") ? pattern.asText()
                : format != null && format.isTextual() ? Formats.pattern(format.asText()) : null;
        if (regex != null && node.minLength == 0 && node.maxLength < 0) {
            try {
                node.pattern = PatternMachine.ofPattern(regex);
                handled.add(keyword);
            } catch (UnsupportedPatternException e) {
                // stays a post-checked keyword
            }
        }
    }

    private void numberKeywords(JsonNode schema, SchemaNode node, String path, Set<String> handled) {
        JsonNode minimum = schema.get("minimum");
        JsonNode maximum = schema.get("maximum");
        JsonNode exclusiveMinimum = schema.get("exclusiveMinimum");
        JsonNode exclusiveMaximum = schema.get("exclusiveMaximum");
        if (minimum != null && minimum.isNumber()) {
            handled.add("minimum");
            node.minimum = minimum.decimalValue();
            node.minimumExclusive = exclusiveMinimum != null && exclusiveMinimum.isBoolean() && exclusiveMinimum.booleanValue();
        }
        if (maximum != null && maximum.isNumber()) {
            handled.add("maximum");
            node.maximum = maximum.decimalValue();
            node.maximumExclusive = exclusiveMaximum != null && exclusiveMaximum.isBoolean() && exclusiveMaximum.booleanValue();
        }
        if (exclusiveMinimum != null) {
            handled.add("exclusiveMinimum");
            if (exclusiveMinimum.isNumber() && (node.minimum == null || exclusiveMinimum.decimalValue().compareTo(node.minimum) >= 0)) {
                node.minimum = exclusiveMinimum.decimalValue();
                node.minimumExclusive = true;
            }
        }
        if (exclusiveMaximum != null) {
            handled.add("exclusiveMaximum");
            if (exclusiveMaximum.isNumber() && (node.maximum == null || exclusiveMaximum.decimalValue().compareTo(node.maximum) <= 0)) {
                node.maximum = exclusiveMaximum.decimalValue();
                node.maximumExclusive = true;
            }
        }
        if (node.minimum != null && node.maximum != null) {
            int order = node.minimum.compareTo(node.maximum);
            if (order > 0 || order == 0 && (node.minimumExclusive || node.maximumExclusive)) {
                throw new SchemaException(path + ": no number lies between minimum and maximum");
            }
        }
        if (node.allows(SchemaNode.INTEGER) && !node.allows(SchemaNode.NUMBER & ~SchemaNode.INTEGER)
                && node.minimum != null && node.maximum != null
                && NumberBounds.integerLow(node).compareTo(NumberBounds.integerHigh(node)) > 0) {
            node.types &= ~SchemaNode.INTEGER;
        }
    }

    private void literalKeywords(JsonNode schema, SchemaNode node, String path, Set<String> handled) {
        List<JsonNode> values = new ArrayList<>();
        if (schema.has("const")) {
            handled.add("const");
            values.add(schema.get("const"));
        } else if (schema.has("enum")) {
            handled.add("enum");
            JsonNode list = schema.get("enum");
            if (!list.isArray() || list.isEmpty()) {
                throw new SchemaException(path + "/enum: must be a non-empty array");
            }
            list.forEach(values::add);
        } else {
            return;
        }
        List<byte[]> encoded = new ArrayList<>();
        for (JsonNode value : values) {
            if (node.allows(typeOf(value))) {
                encoded.add(CanonicalJson.write(value).getBytes(StandardCharsets.UTF_8));
            }
        }
        if (encoded.isEmpty()) {
            throw new SchemaException(path + ": no value of enum/const has an allowed type");
        }
        if (values.stream().anyMatch(v -> v.isContainerNode())) {
            postChecked.add(path + "/enum (object or array values are matched as canonical JSON)");
        }
        node.literals = new ByteTrie(encoded);
    }

    private static int typeOf(JsonNode value) {
        if (value.isObject()) {
            return SchemaNode.OBJECT;
        }
        if (value.isArray()) {
            return SchemaNode.ARRAY;
        }
        if (value.isTextual()) {
            return SchemaNode.STRING;
        }
        if (value.isIntegralNumber() || value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0) {
            return SchemaNode.INTEGER;
        }
        if (value.isNumber()) {
            return SchemaNode.NUMBER & ~SchemaNode.INTEGER;
        }
        if (value.isBoolean()) {
            return SchemaNode.BOOLEAN;
        }
        return SchemaNode.NULL;
    }

    private void noteOtherKeywords(JsonNode schema, String path, Set<String> handled) {
        schema.fieldNames().forEachRemaining(name -> {
            if (!handled.contains(name) && !ANNOTATIONS.contains(name) && !name.startsWith("x-")) {
                postChecked.add(path + "/" + name);
            }
        });
    }

    private static int nonNegative(JsonNode schema, String keyword, String path, Set<String> handled, int absent) {
        JsonNode value = schema.get(keyword);
        if (value == null) {
            return absent;
        }
        handled.add(keyword);
        if (!value.canConvertToInt() || value.asInt() < 0) {
            throw new SchemaException(path + "/" + keyword + ": must be a non-negative integer");
        }
        return value.asInt();
    }

    /** The bytes between the quotes of {@code text} written as canonical JSON. */
    static byte[] stringContent(String text) {
        String quoted = CanonicalJson.write(com.fasterxml.jackson.databind.node.TextNode.valueOf(text));
        return quoted.substring(1, quoted.length() - 1).getBytes(StandardCharsets.UTF_8);
    }

    /** Integer bounds derived from a node's (possibly exclusive, possibly fractional) number bounds. */
    public static final class NumberBounds {
        private NumberBounds() {}

        public static BigDecimal integerLow(SchemaNode node) {
            if (node.minimum == null) {
                return null;
            }
            BigDecimal floor = node.minimum.setScale(0, java.math.RoundingMode.FLOOR);
            boolean whole = floor.compareTo(node.minimum) == 0;
            return whole && !node.minimumExclusive ? floor : floor.add(BigDecimal.ONE);
        }

        public static BigDecimal integerHigh(SchemaNode node) {
            if (node.maximum == null) {
                return null;
            }
            BigDecimal ceiling = node.maximum.setScale(0, java.math.RoundingMode.CEILING);
            boolean whole = ceiling.compareTo(node.maximum) == 0;
            return whole && !node.maximumExclusive ? ceiling : ceiling.subtract(BigDecimal.ONE);
        }
    }
}
