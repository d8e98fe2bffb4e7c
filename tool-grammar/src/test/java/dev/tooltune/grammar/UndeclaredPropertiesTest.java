package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * #21 item 4: a schema that declares its properties and omits {@code additionalProperties} gets only those keys from
 * generation (a weak model produced {@code {"city": "Oslo", ". +": "-"}}), while {@code additionalProperties: true}
 * or a schema for it keeps extras allowed, and validation of stored data still allows extras as JSON Schema does.
 */
class UndeclaredPropertiesTest {
    private final ConstrainedDecoding decoding = Fixtures.decoding();
    private final GemmaTokenizer tokenizer = Fixtures.tokenizer();

    @Test
    void aSchemaSilentOnAdditionalPropertiesGeneratesOnlyDeclaredKeys() throws Exception {
        String schema = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}";
        assertTrue(accepts(schema, "{\"city\": \"Oslo\"}"));
        assertFalse(accepts(schema, "{\"city\": \"Oslo\", \". +\": \"-\"}"), "an undeclared key was generated");
        assertFalse(accepts(schema, "{\". +\": \"-\", \"city\": \"Oslo\"}"), "an undeclared key was generated");
        // Nested objects too.
        String nested = "{\"type\": \"object\", \"properties\": {\"where\": {\"type\": \"object\", \"properties\": "
                + "{\"city\": {\"type\": \"string\"}}}}}";
        assertTrue(accepts(nested, "{\"where\": {\"city\": \"Oslo\"}}"));
        assertFalse(accepts(nested, "{\"where\": {\"city\": \"Oslo\", \"x\": 1}}"));
        // Validation of stored data is JSON Schema's: the extra key is valid there.
        assertEquals(List.of(), decoding.check().validate(ChatJson.MAPPER.readTree("{\"city\": \"Oslo\", \". +\": \"-\"}"),
                ChatJson.MAPPER.readTree(schema)));
    }

    @Test
    void additionalPropertiesTrueOrASchemaKeepsExtrasAllowed() throws Exception {
        String open = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"additionalProperties\": true}";
        assertTrue(accepts(open, "{\"city\": \"Oslo\", \"unit\": \"C\"}"));
        String typed = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, "
                + "\"additionalProperties\": {\"type\": \"string\"}}";
        assertTrue(accepts(typed, "{\"city\": \"Oslo\", \"unit\": \"C\"}"));
        assertFalse(accepts(typed, "{\"city\": \"Oslo\", \"unit\": 3}"));
        String closed = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"additionalProperties\": false}";
        assertFalse(accepts(closed, "{\"city\": \"Oslo\", \"unit\": \"C\"}"));
    }

    @Test
    void aRequiredKeyOutsidePropertiesAndAFreeFormObjectStillWork() {
        String required = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"id\"]}";
        assertTrue(accepts(required, "{\"id\": 7}"));
        assertFalse(accepts(required, "{\"id\": 7, \"other\": 1}"));
        // No properties declared at all: a free-form object, as the schema says.
        assertTrue(accepts("{\"type\": \"object\"}", "{\"anything\": [1, 2]}"));
    }

    private boolean accepts(String schema, String arguments) {
        try {
            JsonNode parameters = ChatJson.MAPPER.readTree(schema);
            List<ToolDefinition> tools = List.of(ToolDefinition.function("tool", "test", parameters));
            GrammarConstraint constraint = (GrammarConstraint) decoding.forTools(tools, ToolChoice.REQUIRED, false)
                    .orElseThrow();
            String block = ToolCallSyntax.CALL_FENCE + "\n{\"name\": \"tool\", \"arguments\": " + arguments + "}\n"
                    + ToolCallSyntax.CLOSE_FENCE;
            for (int token : tokenizer.encode(block)) {
                if (!constraint.allows(token)) {
                    return false;
                }
                constraint.accept(token);
            }
            return constraint.allows(GemmaTokenizer.END_OF_TURN_ID);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
