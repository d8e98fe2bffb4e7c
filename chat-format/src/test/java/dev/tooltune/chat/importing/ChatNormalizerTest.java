package dev.tooltune.chat.importing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import org.junit.jupiter.api.Test;

class ChatNormalizerTest {

    @Test
    void looseFormBecomesCanonical() throws Exception {
        JsonNode loose = ChatJson.MAPPER.readTree("""
                {"messages":[
                  {"role":"user","content":[{"type":"text","text":"Weather in "},{"type":"text","text":"Oslo?"}]},
                  {"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Oslo"}}}]},
                  {"role":"tool","name":"get_weather","content":{"temp":3}},
                  {"role":"assistant","content":"3 degrees."}],
                 "tools":[{"name":"get_weather","description":"Weather now","parameters":{"type":"object"}}],
                 "metadata":{"source":"hand-made"}}
                """);
        ObjectNode canonical = ChatNormalizer.normalize(loose);
        assertEquals("""
                {"messages":[{"role":"user","content":"Weather in Oslo?"},\
                {"role":"assistant","content":"","tool_calls":[{"id":"call_1_0","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},\
                {"role":"tool","content":"{\\"temp\\":3}","tool_call_id":"call_1_0","name":"get_weather"},\
                {"role":"assistant","content":"3 degrees."}],\
                "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object"}}}]}""",
                canonical.toString());
        // Canonical JSON is exactly what the chat types write.
        ChatExample bound = ChatJson.MAPPER.treeToValue(canonical, ChatExample.class);
        assertEquals(canonical, ChatJson.MAPPER.valueToTree(bound));
    }

    @Test
    void toolResultsWithoutIdsAnswerCallsByNameThenInOrder() throws Exception {
        JsonNode loose = ChatJson.MAPPER.readTree("""
                {"messages":[{"role":"user","content":"q"},
                  {"role":"assistant","tool_calls":[{"name":"a","arguments":"{}"},{"id":"mine","name":"b"}]},
                  {"role":"tool","name":"b","content":"rb"},{"role":"tool","content":"ra"},
                  {"role":"assistant","content":"done"}]}
                """);
        ObjectNode canonical = ChatNormalizer.normalize(loose);
        assertEquals("mine", canonical.at("/messages/2/tool_call_id").asText());
        assertEquals("call_1_0", canonical.at("/messages/3/tool_call_id").asText());
        assertEquals("{}", canonical.at("/messages/1/tool_calls/1/function/arguments").asText());
    }

    @Test
    void canonicalInputIsUnchanged() throws Exception {
        String canonical = """
                {"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},\
                {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"x\\": 1}"}}]},\
                {"role":"tool","content":"ok","tool_call_id":"c1"},{"role":"assistant","content":"a","weight":0}],\
                "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"parallel_tool_calls":false}""";
        assertEquals(canonical, ChatNormalizer.normalize(ChatJson.MAPPER.readTree(canonical)).toString());
    }
}
