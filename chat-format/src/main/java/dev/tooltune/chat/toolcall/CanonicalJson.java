package dev.tooltune.chat.toolcall;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tooltune.chat.ChatJson;
import java.util.Iterator;
import java.util.Map;

/**
 * The one way JSON is written into prompts: on a single line, {@code ", "} between items and {@code ": "} after
 * keys (the style of Python's {@code json.dumps}, which Gemma saw most in pre-training), keys in the order given,
 * non-ASCII characters kept as they are. Parsing and re-writing the same value always gives the same text.
 */
public final class CanonicalJson {

    private CanonicalJson() {}

    public static String write(JsonNode value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    /**
     * Parses a tool call's {@code arguments} string into its JSON object; blank means no arguments ({@code {}}).
     *
     * @throws IllegalArgumentException when the text is not JSON or not a JSON object
     */
    public static ObjectNode parseArguments(String arguments) {
        if (arguments == null || arguments.isBlank()) {
            return JsonNodeFactory.instance.objectNode();
        }
        JsonNode node;
        try {
            node = ChatJson.MAPPER.readTree(arguments);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("must be a JSON object, got " + describe(node));
        }
        return (ObjectNode) node;
    }

    /** {@code arguments} re-written canonically, for comparing and storing calls. */
    public static String canonicalArguments(String arguments) {
        return write(parseArguments(arguments));
    }

    private static void write(JsonNode value, StringBuilder out) {
        if (value == null || value.isMissingNode()) {
            out.append("null");
        } else if (value.isObject()) {
            out.append('{');
            Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
            boolean first = true;
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!first) {
                    out.append(", ");
                }
                first = false;
                out.append(TextNode.valueOf(field.getKey()).toString()).append(": ");
                write(field.getValue(), out);
            }
            out.append('}');
        } else if (value.isArray()) {
            out.append('[');
            for (int i = 0; i < value.size(); i++) {
                if (i > 0) {
                    out.append(", ");
                }
                write(value.get(i), out);
            }
            out.append(']');
        } else {
            // Scalars: Jackson's own JSON text (escaped strings, numbers, true/false/null).
            out.append(value.toString());
        }
    }

    private static String describe(JsonNode node) {
        return node == null ? "nothing" : node.getNodeType().name().toLowerCase() + " " + node;
    }
}
