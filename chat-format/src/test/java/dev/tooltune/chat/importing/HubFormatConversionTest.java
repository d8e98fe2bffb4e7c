package dev.tooltune.chat.importing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import org.junit.jupiter.api.Test;

class HubFormatConversionTest {

    private static JsonNode json(String text) throws Exception {
        return ChatJson.MAPPER.readTree(text);
    }

    @Test
    void hermesConversationWithToolsInSystemPromptAndCallBlocks() throws Exception {
        JsonNode record = json("""
                {"conversations":[
                 {"from":"system","value":"You are a function calling AI model. <tools> [{\\"type\\": \\"function\\", \\"function\\": {\\"name\\": \\"get_stock_price\\", \\"description\\": \\"Price\\", \\"parameters\\": {\\"type\\": \\"object\\", \\"properties\\": {\\"symbol\\": {\\"type\\": \\"string\\"}}, \\"required\\": [\\"symbol\\"]}}}] </tools> Use them."},
                 {"from":"human","value":"Price of AAPL and MSFT?"},
                 {"from":"gpt","value":"<tool_call>\\n{\\"name\\": \\"get_stock_price\\", \\"arguments\\": {\\"symbol\\": \\"AAPL\\"}}\\n</tool_call>\\n<tool_call>\\n{\\"arguments\\": {\\"symbol\\": \\"MSFT\\"}, \\"name\\": \\"get_stock_price\\"}\\n</tool_call>"},
                 {"from":"tool","value":"<tool_response>\\n{\\"name\\": \\"get_stock_price\\", \\"content\\": 150}\\n</tool_response>\\n<tool_response>\\n{\\"name\\": \\"get_stock_price\\", \\"content\\": 300}\\n</tool_response>"},
                 {"from":"gpt","value":"AAPL is 150, MSFT is 300."}]}
                """);
        ObjectNode example = ImportFormat.SHAREGPT.toCanonical(record);
        assertEquals("You are a function calling AI model.  Use them.", example.at("/messages/0/content").asText());
        assertEquals("get_stock_price", example.at("/tools/0/function/name").asText());
        assertEquals(2, example.at("/messages/2/tool_calls").size());
        assertEquals("{\"symbol\":\"MSFT\"}", example.at("/messages/2/tool_calls/1/function/arguments").asText());
        assertEquals("call_2_0", example.at("/messages/3/tool_call_id").asText());
        assertEquals("call_2_1", example.at("/messages/4/tool_call_id").asText());
        assertEquals("assistant", example.at("/messages/5/role").asText());
        assertEquals(ImportFormat.AUTO.toCanonical(record), example);
    }

    @Test
    void brokenToolCallBlockNamesTurnAndBlock() throws Exception {
        JsonNode record = json("""
                {"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"<tool_call>{not json}</tool_call>"}]}
                """);
        ConversionException e = assertThrows(ConversionException.class, () -> ImportFormat.SHAREGPT.toCanonical(record));
        assertEquals("$.conversations[1].value", e.problems().get(0).path());
        assertTrue(e.problems().get(0).reason().startsWith("<tool_call> block 1 is not valid JSON"), e.problems().get(0).reason());
    }

    @Test
    void xlamWithStringFieldsAndPythonTypes() throws Exception {
        JsonNode record = json("""
                {"id": 7, "query": "Where is IP 8.8.8.8 and what is 5 factorial?",
                 "answers": "[{\\"name\\": \\"ip_lookup\\", \\"arguments\\": {\\"ip\\": \\"8.8.8.8\\"}}, {\\"name\\": \\"factorial\\", \\"arguments\\": {\\"n\\": 5}}]",
                 "tools": "[{\\"name\\": \\"ip_lookup\\", \\"description\\": \\"Locate an IP\\", \\"parameters\\": {\\"ip\\": {\\"description\\": \\"address\\", \\"type\\": \\"str\\", \\"default\\": \\"\\"}}}, {\\"name\\": \\"factorial\\", \\"description\\": \\"n!\\", \\"parameters\\": {\\"n\\": {\\"description\\": \\"number\\", \\"type\\": \\"int\\"}, \\"ids\\": {\\"type\\": \\"List[int], optional\\"}}}]"}
                """);
        ObjectNode example = ImportFormat.AUTO.toCanonical(record);
        assertEquals("user", example.at("/messages/0/role").asText());
        assertEquals(2, example.at("/messages/1/tool_calls").size());
        assertEquals("{\"n\":5}", example.at("/messages/1/tool_calls/1/function/arguments").asText());
        JsonNode factorial = example.at("/tools/1/function/parameters");
        assertEquals("integer", factorial.at("/properties/n/type").asText());
        assertEquals("array", factorial.at("/properties/ids/type").asText());
        assertEquals("integer", factorial.at("/properties/ids/items/type").asText());
        assertEquals("[\"n\"]", factorial.get("required").toString());
        assertTrue(example.at("/tools/0/function/parameters/required").isMissingNode(), "a default makes ip optional");
    }

    @Test
    void openAiFormatHintsAtTheRightFormat() {
        ConversionException e = assertThrows(ConversionException.class,
                () -> ImportFormat.OPENAI.toCanonical(json("{\"query\":\"q\",\"tools\":[],\"answers\":[]}")));
        assertTrue(e.problems().get(0).reason().contains("format=xlam"), e.problems().get(0).reason());
    }
}
