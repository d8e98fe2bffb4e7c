package dev.tooltune.dataset;

import static dev.tooltune.dataset.ImportResourceTest.export;
import static dev.tooltune.dataset.ImportResourceTest.upload;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class HubFormatImportTest {

    @org.junit.jupiter.api.BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    static final String HERMES = """
            {"conversations":[{"from":"system","value":"You are a function calling AI model. Here are the available tools: <tools> {\\"type\\": \\"function\\", \\"function\\": {\\"name\\": \\"convert_currency\\", \\"description\\": \\"Convert money\\", \\"parameters\\": {\\"type\\": \\"object\\", \\"properties\\": {\\"amount\\": {\\"type\\": \\"number\\"}, \\"from\\": {\\"type\\": \\"string\\"}, \\"to\\": {\\"type\\": \\"string\\"}}, \\"required\\": [\\"amount\\", \\"from\\", \\"to\\"]}}} </tools>"},\
            {"from":"human","value":"How much is 100 USD in EUR?"},\
            {"from":"gpt","value":"<tool_call>\\n{\\"name\\": \\"convert_currency\\", \\"arguments\\": {\\"amount\\": 100, \\"from\\": \\"USD\\", \\"to\\": \\"EUR\\"}}\\n</tool_call>"},\
            {"from":"tool","value":"<tool_response>\\n{\\"name\\": \\"convert_currency\\", \\"content\\": {\\"result\\": 92.1}}\\n</tool_response>"},\
            {"from":"gpt","value":"100 USD is 92.10 EUR."}]}""";

    static final String HERMES_NO_CALL = """
            {"conversations":[{"from":"system","value":"<tools> [] </tools>"},{"from":"human","value":"Hi!"},{"from":"gpt","value":"Hello, how can I help?"}]}""";

    static final String XLAM = """
            {"id": 1, "query": "Find me 3 coffee shops in Berlin", "answers": "[{\\"name\\": \\"search_businesses\\", \\"arguments\\": {\\"category\\": \\"coffee\\", \\"city\\": \\"Berlin\\", \\"limit\\": 3}}]", \
            "tools": "[{\\"name\\": \\"search_businesses\\", \\"description\\": \\"Search local businesses\\", \\"parameters\\": {\\"category\\": {\\"description\\": \\"kind of business\\", \\"type\\": \\"str\\"}, \\"city\\": {\\"description\\": \\"city\\", \\"type\\": \\"str\\"}, \\"limit\\": {\\"description\\": \\"max results\\", \\"type\\": \\"int, optional\\", \\"default\\": 10}}}]"}""";

    @Test
    void shareGptHermesLinesBecomeCanonicalChatExamples() throws Exception {
        long dataset = createDataset();
        JsonPath job = upload(dataset, (HERMES + "\n" + HERMES_NO_CALL + "\n").getBytes(StandardCharsets.UTF_8), "format=sharegpt", 201);
        assertEquals(2, job.getInt("examplesStored"));
        String[] lines = export(dataset, "1").split("\n");
        ChatExample converted = ChatJson.MAPPER.readValue(lines[0], ChatExample.class);
        assertEquals("convert_currency", converted.tools().get(0).function().name());
        assertEquals("You are a function calling AI model. Here are the available tools:", converted.messages().get(0).content());
        assertEquals("{\"amount\":100,\"from\":\"USD\",\"to\":\"EUR\"}", converted.messages().get(2).toolCalls().get(0).function().arguments());
        assertEquals(converted.messages().get(2).toolCalls().get(0).id(), converted.messages().get(3).toolCallId());
        assertEquals("100 USD is 92.10 EUR.", converted.messages().get(4).content());
    }

    @Test
    void xlamLinesBecomeCanonicalChatExamplesWithJsonSchemas() throws Exception {
        long dataset = createDataset();
        upload(dataset, (XLAM + "\n").getBytes(StandardCharsets.UTF_8), "format=xlam", 201);
        JsonNode example = ChatJson.MAPPER.readTree(export(dataset, "1").strip());
        assertEquals("Find me 3 coffee shops in Berlin", example.at("/messages/0/content").asText());
        assertEquals("search_businesses", example.at("/messages/1/tool_calls/0/function/name").asText());
        assertEquals("[\"category\",\"city\"]", example.at("/tools/0/function/parameters/required").toString());
        assertEquals("integer", example.at("/tools/0/function/parameters/properties/limit/type").asText());
    }

    @Test
    void autoFormatMixesFormatsAndArgumentsAreValidatedAfterConversion() {
        long dataset = createDataset();
        String badXlam = XLAM.replace("\\\"limit\\\": 3", "\\\"limit\\\": \\\"three\\\"");
        String file = String.join("\n", HERMES, XLAM, weather("Oslo"), badXlam);
        JsonPath job = upload(dataset, file.getBytes(StandardCharsets.UTF_8), "format=auto&mode=lenient", 201);
        assertEquals(3, job.getInt("examplesStored"));
        assertEquals(1, job.getInt("invalidLines"));
        assertEquals(4, job.getInt("problems[0].line"));
        assertEquals("$.messages[1].tool_calls[0].function.arguments", job.getString("problems[0].path"));
        assertTrue(job.getString("problems[0].reason").contains("integer"), job.getString("problems[0].reason"));
    }
}
