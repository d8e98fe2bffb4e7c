package dev.tooltune.dataset.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Type names that are not JSON Schema's, as function-calling datasets in the wild write them (the Berkeley
 * Function Calling Leaderboard uses Python's: {@code dict}, {@code float}, {@code tuple}, {@code any}, ...), and
 * their rewrite to standard JSON Schema:
 * <pre>
 *   dict -> object    float -> number    tuple -> array    list -> array
 *   int  -> integer   bool  -> boolean   str   -> string   any  -> no "type" (any value)
 * </pre>
 * Only {@code type} keywords of schemas are looked at: not property names, and not values inside {@code enum},
 * {@code const}, {@code default} or {@code examples}. The walk is iterative, so a deep schema cannot overflow the stack.
 */
final class SchemaTypes {
    static final Set<String> STANDARD = Set.of("object", "array", "string", "number", "integer", "boolean", "null");
    /** Non-standard name to its JSON Schema type; {@code any} maps to null: the keyword is removed. */
    static final Map<String, String> REWRITES = rewrites();
    /** Keywords whose values are data, not schemas. */
    private static final Set<String> DATA_KEYWORDS = Set.of("enum", "const", "default", "examples");
    /** Keywords whose values map names to schemas: their own keys (e.g. a property called "type") are names. */
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "$defs", "definitions", "dependentSchemas");
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");

    private SchemaTypes() {}

    private static Map<String, String> rewrites() {
        Map<String, String> map = new java.util.HashMap<>(Map.of("dict", "object", "float", "number", "tuple", "array",
                "list", "array", "int", "integer", "bool", "boolean", "str", "string"));
        map.put("any", null);
        return java.util.Collections.unmodifiableMap(map);
    }

    /** A schema object whose {@code type} holds at least one non-standard name; {@code path} is that keyword's. */
    record Finding(ObjectNode schema, String path, JsonNode type) {

        /** The non-standard names in {@code type}, in order. */
        List<String> nonStandardNames() {
            List<String> names = new ArrayList<>();
            for (JsonNode name : type.isArray() ? type : List.of(type)) {
                if (name.isTextual() && !STANDARD.contains(name.asText())) {
                    names.add(name.asText());
                }
            }
            return names;
        }

        /** Whether every non-standard name has a rewrite. */
        boolean rewritable() {
            return nonStandardNames().stream().allMatch(REWRITES::containsKey);
        }

        /** Rewrites the keyword in place; returns what was done, for the line's warning. */
        String rewrite() {
            String before = type.toString();
            List<String> names = new ArrayList<>();
            boolean any = false;
            for (JsonNode name : type.isArray() ? type : List.of(type)) {
                String text = name.asText();
                if (STANDARD.contains(text)) {
                    names.add(text);
                } else if (REWRITES.get(text) == null) {
                    any = true;
                } else if (!names.contains(REWRITES.get(text))) {
                    names.add(REWRITES.get(text));
                }
            }
            if (any) {
                schema.remove("type");
                return "removed type " + before + " (any value is allowed)";
            }
            if (type.isArray()) {
                ArrayNode rewritten = JsonNodeFactory.instance.arrayNode();
                names.forEach(rewritten::add);
                schema.set("type", rewritten);
            } else {
                schema.put("type", names.get(0));
            }
            return "rewrote type " + before + " to " + schema.get("type");
        }
    }

    /** Every schema under {@code root} (itself included) whose {@code type} is not standard JSON Schema. */
    static List<Finding> nonStandard(JsonNode root, String rootPath) {
        List<Finding> found = new ArrayList<>();
        record Visit(JsonNode node, String path, boolean nameMap) {}
        Deque<Visit> pending = new ArrayDeque<>();
        pending.push(new Visit(root, rootPath, false));
        while (!pending.isEmpty()) {
            Visit visit = pending.pop();
            JsonNode node = visit.node();
            if (node.isArray()) {
                for (int i = node.size() - 1; i >= 0; i--) {
                    pending.push(new Visit(node.get(i), visit.path() + "[" + i + "]", false));
                }
                continue;
            }
            if (!node.isObject()) {
                continue;
            }
            JsonNode type = node.get("type");
            if (!visit.nameMap() && type != null && hasNonStandardName(type)) {
                found.add(new Finding((ObjectNode) node, visit.path() + ".type", type));
            }
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                fields.add(it.next());
            }
            for (int i = fields.size() - 1; i >= 0; i--) {
                String key = fields.get(i).getKey();
                JsonNode value = fields.get(i).getValue();
                if (value.isContainerNode() && (visit.nameMap() || !DATA_KEYWORDS.contains(key))) {
                    pending.push(new Visit(value, visit.path() + member(key), !visit.nameMap() && SCHEMA_MAPS.contains(key)));
                }
            }
        }
        return found;
    }

    private static boolean hasNonStandardName(JsonNode type) {
        if (type.isTextual()) {
            return !STANDARD.contains(type.asText());
        }
        if (type.isArray()) {
            for (JsonNode name : type) {
                if (name.isTextual() && !STANDARD.contains(name.asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A JSON path step: {@code .name}, or {@code ['odd name']} when the name is not a plain identifier. */
    static String member(String name) {
        return PLAIN_NAME.matcher(name).matches() ? "." + name : "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']";
    }
}
