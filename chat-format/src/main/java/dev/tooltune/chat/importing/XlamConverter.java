package dev.tooltune.chat.importing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Converts xLAM / APIGen function-calling records to OpenAI chat form.
 *
 * <p>Such a record is {@code {"query": "...", "tools": [...], "answers": [...]}}, where {@code tools} and
 * {@code answers} are lists or JSON strings holding lists. A tool is {@code {name, description, parameters}};
 * its {@code parameters} are either a JSON Schema or xLAM's own map from parameter name to
 * {@code {type: "str" | "int" | "List[int]" | "str, optional" ..., description, default}}, which becomes a
 * JSON Schema here (a parameter is required unless its type says optional or it has a default). Each answer
 * {@code {name, arguments}} becomes one call of a single assistant turn answering the query.
 */
public final class XlamConverter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private XlamConverter() {}

    public static boolean recognizes(JsonNode record) {
        return record.has("query") && record.has("answers");
    }

    public static ObjectNode toOpenAi(JsonNode record) throws ConversionException {
        List<ImportProblem> problems = new ArrayList<>();
        JsonNode query = record.get("query");
        if (query == null || !query.isTextual()) {
            problems.add(new ImportProblem("$.query", "an xLAM record needs the user's request as a text \"query\""));
        }
        JsonNode tools = listField(record, "tools", problems);
        JsonNode answers = listField(record, "answers", problems);
        if (!problems.isEmpty()) {
            throw new ConversionException(problems);
        }
        ArrayNode openAiTools = NODES.arrayNode();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            if (!tool.isObject()) {
                problems.add(new ImportProblem("$.tools[" + i + "]", "each tool must be an object with a name"));
                continue;
            }
            ObjectNode function = NODES.objectNode();
            copyIfPresent(tool, function, "name");
            copyIfPresent(tool, function, "description");
            JsonNode parameters = tool.get("parameters");
            if (parameters != null && !parameters.isNull()) {
                if (!parameters.isObject()) {
                    problems.add(new ImportProblem("$.tools[" + i + "].parameters", "parameters must be an object"));
                    continue;
                }
                function.set("parameters", isJsonSchema(parameters) ? parameters : schemaFromXlam((ObjectNode) parameters));
            }
            ObjectNode definition = NODES.objectNode();
            definition.put("type", "function");
            definition.set("function", function);
            openAiTools.add(definition);
        }
        ArrayNode calls = NODES.arrayNode();
        for (int i = 0; i < answers.size(); i++) {
            JsonNode answer = answers.get(i);
            if (!answer.isObject() || !answer.path("name").isTextual()) {
                problems.add(new ImportProblem("$.answers[" + i + "]", "each answer must be {\"name\": ..., \"arguments\": {...}}"));
                continue;
            }
            ObjectNode function = NODES.objectNode();
            function.set("name", answer.get("name"));
            function.set("arguments", answer.has("arguments") ? answer.get("arguments") : NODES.objectNode());
            calls.add(NODES.objectNode().set("function", function));
        }
        if (answers.isEmpty()) {
            problems.add(new ImportProblem("$.answers", "answers is empty: an xLAM example needs at least one call to learn from"));
        }
        if (!problems.isEmpty()) {
            throw new ConversionException(problems);
        }
        ArrayNode messages = NODES.arrayNode();
        messages.add(NODES.objectNode().put("role", ChatMessage.USER).put("content", query.asText()));
        messages.add(NODES.objectNode().put("role", ChatMessage.ASSISTANT).set("tool_calls", calls));
        ObjectNode example = NODES.objectNode();
        example.set("messages", messages);
        example.set("tools", openAiTools);
        return example;
    }

    private static JsonNode listField(JsonNode record, String field, List<ImportProblem> problems) {
        JsonNode value = record.get(field);
        String path = "$." + field;
        if (value == null || value.isNull()) {
            problems.add(new ImportProblem(path, "an xLAM record needs \"" + field + "\" (a list, or a JSON string holding one)"));
            return null;
        }
        if (value.isTextual()) {
            try {
                value = ChatJson.MAPPER.readTree(value.asText());
            } catch (JsonProcessingException e) {
                problems.add(new ImportProblem(path, field + " is a string but not valid JSON: " + ShareGptConverter.jsonReason(e)));
                return null;
            }
        }
        if (value == null || !value.isArray()) {
            problems.add(new ImportProblem(path, field + " must be a list"));
            return null;
        }
        return value;
    }

    private static boolean isJsonSchema(JsonNode parameters) {
        return parameters.path("type").isTextual() && parameters.has("properties")
                || "object".equals(parameters.path("type").asText(null));
    }

    private static ObjectNode schemaFromXlam(ObjectNode parameters) {
        ObjectNode properties = NODES.objectNode();
        ArrayNode required = NODES.arrayNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = parameters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode spec = entry.getValue();
            ObjectNode property = NODES.objectNode();
            String type = spec.path("type").asText("");
            boolean optional = type.toLowerCase(Locale.ROOT).contains("optional");
            String baseType = type.replaceAll("(?i),?\\s*optional", "").strip();
            applyType(baseType, property);
            copyIfPresent(spec, property, "description");
            if (spec.has("enum")) {
                property.set("enum", spec.get("enum"));
            }
            properties.set(entry.getKey(), property);
            if (!optional && !spec.has("default")) {
                required.add(entry.getKey());
            }
        }
        ObjectNode schema = NODES.objectNode();
        schema.put("type", "object");
        schema.set("properties", properties);
        if (!required.isEmpty()) {
            schema.set("required", required);
        }
        return schema;
    }

    /** Python-style type names as xLAM writes them; unknown ones leave the value unconstrained. */
    private static void applyType(String pythonType, ObjectNode property) {
        String type = pythonType.strip();
        String lower = type.toLowerCase(Locale.ROOT);
        int bracket = type.indexOf('[');
        String outer = bracket < 0 ? lower : lower.substring(0, bracket).strip();
        switch (outer) {
            case "str", "string" -> property.put("type", "string");
            case "int", "integer" -> property.put("type", "integer");
            case "float", "number", "double" -> property.put("type", "number");
            case "bool", "boolean" -> property.put("type", "boolean");
            case "list", "array", "tuple", "set" -> {
                property.put("type", "array");
                if (bracket > 0 && type.endsWith("]")) {
                    ObjectNode items = NODES.objectNode();
                    applyType(type.substring(bracket + 1, type.length() - 1), items);
                    if (!items.isEmpty()) {
                        property.set("items", items);
                    }
                }
            }
            case "dict", "object", "mapping" -> property.put("type", "object");
            default -> {
                // Union[...], Any, callable, or free text: no constraint we could state honestly.
            }
        }
    }

    private static void copyIfPresent(JsonNode from, ObjectNode to, String field) {
        JsonNode value = from.get(field);
        if (value != null && !value.isNull()) {
            to.set(field, value);
        }
    }
}
