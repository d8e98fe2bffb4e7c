package dev.tooltune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests no well-behaved client sends: each is a 400 in OpenAI's shape whose {@code param} is the field's path and
 * whose message names it, never a 500 (api/ChatCompletionReader, api/OpenAiErrors). And the fields other OpenAI
 * clients send (Python and Node SDKs, LangChain) are honoured or ignored, with null wherever OpenAI allows it.
 */
@QuarkusTest
class HostileRequestsTest {
    private static final Map<String, String> AUTH = Map.of("X-Tooltune-Internal-Token",
            KafkaTopicResource.INTERNAL_TOKEN);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String USER = "{\"role\": \"user\", \"content\": \"Hi\"}";
    private static final String TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"lookup\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"q\": {\"type\": \"string\"}}}}}";
    private static final String CALLED = "{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"call_1\", \"type\": "
            + "\"function\", \"function\": {\"name\": \"lookup\", \"arguments\": \"{\\\"q\\\": \\\"x\\\"}\"}}]}";

    @TestHTTPResource("/")
    URL url;

    private String base;

    @BeforeEach
    void ready() throws Exception {
        base = url.toString();
        ServiceClients.awaitReady(base);
    }

    @Test
    void wrongTypesAtEveryLevelNameTheField() throws Exception {
        assertInvalid("model", "expected a string, but got an integer", "{\"model\": 5, \"messages\": [" + USER + "]}");
        assertInvalid("messages", "expected an array, but got an object", body("\"messages\": " + USER));
        assertInvalid("messages[0]", "expected an object, but got a string", body("\"messages\": [\"Hi\"]"));
        assertInvalid("messages[1]", "expected an object, but got an array", body("\"messages\": [" + USER + ", []]"));
        assertInvalid("messages[0].role", "expected a string, but got an object",
                body("\"messages\": [{\"role\": {\"name\": \"user\"}, \"content\": \"Hi\"}]"));
        assertInvalid("messages[0].content", "expected a string or an array of content parts, but got an integer",
                body("\"messages\": [{\"role\": \"user\", \"content\": 5}]"));
        assertInvalid("messages[0].content[1].text", "expected a string, but got an integer",
                body("\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, "
                        + "{\"type\": \"text\", \"text\": 7}]}]"));
        assertInvalid("messages[0].content[0].type", "only text content parts",
                body("\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", "
                        + "\"image_url\": {\"url\": \"http://x\"}}]}]"));
        assertInvalid("messages[1].tool_calls", "expected an array, but got an object",
                body("\"messages\": [" + USER + ", {\"role\": \"assistant\", \"tool_calls\": {\"id\": \"c\"}}]"));
        assertInvalid("messages[1].tool_calls[0].function.arguments", "expected a string, but got an object",
                body("\"messages\": [" + USER + ", " + CALLED.replace("\"{\\\"q\\\": \\\"x\\\"}\"", "{\"q\": 1}")
                        + "]"));
        assertInvalid("messages[1].tool_calls[0].function.arguments", "must be a JSON object encoded as a string",
                body("\"messages\": [" + USER + ", " + CALLED.replace("{\\\"q\\\": \\\"x\\\"}", "[1, 2]") + "]"));
        assertInvalid("messages[1].tool_calls[0].function", "expected an object, but got an array",
                body("\"messages\": [" + USER + ", {\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"c\", "
                        + "\"function\": [\"lookup\"]}]}]"));
        assertInvalid("tools[0].function.parameters", "expected an object, but got a string",
                body("\"messages\": [" + USER + "], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": "
                        + "\"lookup\", \"parameters\": \"object\"}}]"));
        assertInvalid("tool_choice", "expected 'none', 'auto', 'required' or an object naming a function, but got "
                + "an integer", body("\"messages\": [" + USER + "], \"tools\": [" + TOOL + "], \"tool_choice\": 5"));
        assertInvalid("tool_choice.function.name", "expected a string, but got an integer", body("\"messages\": ["
                + USER + "], \"tools\": [" + TOOL + "], \"tool_choice\": {\"type\": \"function\", \"function\": "
                + "{\"name\": 5}}"));
        assertInvalid("stop[1]", "expected a string, but got an integer", body("\"messages\": [" + USER
                + "], \"stop\": [\"a\", 1]"));
        assertInvalid("stream", "expected a boolean, but got a string", body("\"messages\": [" + USER
                + "], \"stream\": \"true\""));
        assertInvalid("stream_options.include_usage", "expected a boolean, but got an integer", body("\"messages\": ["
                + USER + "], \"stream\": true, \"stream_options\": {\"include_usage\": 1}"));
        assertInvalid("temperature", "expected a number, but got a string", body("\"messages\": [" + USER
                + "], \"temperature\": \"hot\""));
        // No value changes its JSON type on the way in: 1.5 is not 1, "1" is not 1.
        assertInvalid("max_tokens", "expected an integer, but got a decimal", body("\"messages\": [" + USER
                + "], \"max_tokens\": 1.5"));
        assertInvalid("n", "expected an integer, but got a string", body("\"messages\": [" + USER + "], \"n\": \"1\""));
        assertInvalid("response_format.json_schema.schema", "expected an object, but got an array",
                body("\"messages\": [" + USER + "], \"response_format\": {\"type\": \"json_schema\", "
                        + "\"json_schema\": {\"name\": \"x\", \"schema\": [1]}}"));
        // Arrays where objects are expected, the whole body included.
        assertInvalid("response_format", "expected an object, but got an array", body("\"messages\": [" + USER
                + "], \"response_format\": [\"json_object\"]"));
        assertInvalid("stream_options", "expected an object, but got an array", body("\"messages\": [" + USER
                + "], \"stream\": true, \"stream_options\": [true]"));
        assertInvalid(null, "must be a JSON object", "[" + USER + "]");
        assertInvalid(null, "must be a JSON object", "null");
        assertInvalid(null, "must be a JSON object", "");
    }

    @Test
    void rulesAcrossFieldsNameTheField() throws Exception {
        assertInvalid("messages[1].tool_call_id", "Missing required parameter: 'messages[1].tool_call_id'",
                body("\"messages\": [" + USER + ", {\"role\": \"tool\", \"content\": \"42\"}]"));
        assertInvalid("messages[0].content", "Missing required parameter: 'messages[0].content'",
                body("\"messages\": [{\"role\": \"user\", \"content\": null}]"));
        assertInvalid("messages[1].content", "'content' or 'tool_calls'",
                body("\"messages\": [" + USER + ", {\"role\": \"assistant\", \"tool_calls\": []}]"));
        assertInvalid("messages", "empty array", body("\"messages\": []"));
        assertInvalid("tools[1].function.name", "declared twice", body("\"messages\": [" + USER + "], \"tools\": ["
                + TOOL + ", " + TOOL + "]"));
        assertInvalid("tools[0].function.name", "1 to 64 letters", body("\"messages\": [" + USER + "], \"tools\": ["
                + TOOL.replace("lookup", "look up") + "]"));
        assertInvalid("tool_choice", "only allowed when 'tools' are specified", body("\"messages\": [" + USER
                + "], \"tool_choice\": \"required\""));
        assertInvalid("stream_options", "only allowed when stream is true", body("\"messages\": [" + USER
                + "], \"stream_options\": {\"include_usage\": true}"));
        assertInvalid("max_completion_tokens", "must be between 1 and 4096, got 0", body("\"messages\": [" + USER
                + "], \"max_tokens\": 5, \"max_completion_tokens\": 0"));
        assertInvalid("max_tokens", "must be between 1 and 4096, got 5000", body("\"messages\": [" + USER
                + "], \"max_tokens\": 5000"));
        assertInvalid("top_p", "greater than 0", body("\"messages\": [" + USER + "], \"top_p\": 0"));
        assertInvalid("response_format.json_schema", "Missing required parameter", body("\"messages\": [" + USER
                + "], \"response_format\": {\"type\": \"json_schema\"}"));
        assertInvalid("stop[0]", "must not be empty", body("\"messages\": [" + USER + "], \"stop\": \"\""));
        assertInvalid("stop", "at most 4", body("\"messages\": [" + USER + "], \"stop\": [\"a\", \"b\", \"c\", \"d\", "
                + "\"e\"]"));
        // A value the client sent is printed in the message, never interpolated as a message template.
        HttpResponse<String> template = assertInvalid("messages[0].role", "'${7*7}{got}'",
                body("\"messages\": [{\"role\": \"${7*7}{got}\", \"content\": \"x\"}]"));
        assertFalse(template.body().contains("49"), template.body());
        HttpResponse<String> named = assertInvalid("tool_choice", "no function named '${7*7}'", body("\"messages\": ["
                + USER + "], \"tools\": [" + TOOL + "], \"tool_choice\": {\"type\": \"function\", \"function\": "
                + "{\"name\": \"${7*7}\"}}"));
        assertFalse(named.body().contains("49"), named.body());
        assertInvalid("tool_choice", "or {\"type\": \"function\", \"function\": {\"name\": ...}}", body("\"messages\": ["
                + USER + "], \"tools\": [" + TOOL + "], \"tool_choice\": {\"type\": \"function\"}"));
    }

    @Test
    void hugeNumbersDeepNestingLongStringsBadBytesAndDuplicateKeysAre400s() throws Exception {
        assertInvalid("max_tokens", "out of range", body("\"messages\": [" + USER
                + "], \"max_tokens\": 99999999999999999999"));
        assertInvalid("seed", "out of range", body("\"messages\": [" + USER
                + "], \"seed\": 123456789012345678901234567890"));
        assertInvalid("seed", "expected an integer, but got a decimal", body("\"messages\": [" + USER
                + "], \"seed\": 1e400"));
        assertInvalid("temperature", "Expected a value <= 2", body("\"messages\": [" + USER
                + "], \"temperature\": 1e400"));
        assertInvalid("max_tokens", "not valid JSON", body("\"messages\": [" + USER + "], \"max_tokens\": "
                + "9".repeat(5_000)));
        // Nesting past the reader's limit, in a field the server ignores and in one it reads.
        HttpResponse<String> deep = post(body("\"messages\": [" + USER + "], \"metadata\": " + "[".repeat(100_000)
                + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8));
        assertEquals(400, deep.statusCode(), deep.body());
        assertTrue(error(deep).path("param").asText().startsWith("metadata[0][0]"), deep.body());
        assertInvalid("tools[0].function.parameters", null, body("\"messages\": [" + USER + "], \"tools\": ["
                + "{\"type\": \"function\", \"function\": {\"name\": \"deep\", \"parameters\": "
                + "{\"type\": \"object\", \"properties\": {\"a\": ".repeat(300) + "{\"type\": \"string\"}"
                + "}}".repeat(300) + "}}]"));
        // A 3 MB string: refused by size before it is read; a 900 KB one where a short value belongs is echoed short.
        assertInvalid("messages", "bytes", body("\"messages\": [{\"role\": \"user\", \"content\": \""
                + "x".repeat(3 << 20) + "\"}]"));
        HttpResponse<String> longRole = assertInvalid("messages[0].role", "Supported values are",
                body("\"messages\": [{\"role\": \"" + "r".repeat(900_000) + "\", \"content\": \"x\"}]"));
        assertTrue(longRole.body().length() < 2_000, "a long value is echoed in full: " + longRole.body().length());
        // Invalid UTF-8 inside a string: a 400 naming where, not a 500 nor a silently replaced character.
        ByteArrayOutputStream badBytes = new ByteArrayOutputStream();
        badBytes.write(body("\"messages\": [{\"role\": \"user\", \"content\": \"ab").getBytes(StandardCharsets.UTF_8));
        badBytes.write(new byte[] {(byte) 0xff, (byte) 0xfe});
        badBytes.write("\"}]".getBytes(StandardCharsets.UTF_8));
        badBytes.write('}');
        HttpResponse<String> utf8 = post(badBytes.toByteArray());
        assertEquals(400, utf8.statusCode(), utf8.body());
        assertEquals("messages[0].content", error(utf8).path("param").asText(), utf8.body());
        assertTrue(error(utf8).path("message").asText().contains("UTF-8"), utf8.body());
        // A key given twice is an error, not whichever value a parser keeps.
        assertInvalid("model", "Duplicate field 'model'", "{\"model\": \"" + TestBaseModel.ID + "\", \"model\": "
                + "\"gpt-4o\", \"messages\": [" + USER + "]}");
        assertInvalid("messages[0].role", "Duplicate field 'role'", body("\"messages\": [{\"role\": \"user\", "
                + "\"content\": \"Hi\", \"role\": \"system\"}]"));
        assertInvalid(null, "not valid JSON", body("\"messages\": [" + USER + "]") + " {}");

        HttpResponse<String> ok = post(body("\"messages\": [" + USER + "], \"max_tokens\": 2")
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(200, ok.statusCode(), "the service goes on after the hostile requests: " + ok.body());
    }

    /** What the Python and Node SDKs and LangChain send: honoured, ignored or null, as OpenAI takes them. */
    @Test
    void fieldsOtherClientsSendAreHonouredIgnoredOrNull() throws Exception {
        HttpResponse<String> extras = post(body("\"messages\": [{\"role\": \"developer\", \"content\": [{\"type\": "
                + "\"text\", \"text\": \"Be terse.\"}]}, " + USER + ", " + CALLED + ", {\"role\": \"tool\", "
                + "\"tool_call_id\": \"call_1\", \"content\": \"42\"}], \"tools\": [" + TOOL + "], "
                + "\"tool_choice\": \"none\", \"parallel_tool_calls\": false, \"max_completion_tokens\": 2, "
                + "\"seed\": 7, \"user\": \"u-1\", \"metadata\": {\"a\": \"b\"}, \"store\": false, \"logprobs\": false, "
                + "\"top_logprobs\": null, \"n\": 1, \"frequency_penalty\": 0, \"presence_penalty\": 0, "
                + "\"logit_bias\": {}, \"service_tier\": \"auto\", \"modalities\": [\"text\"], "
                + "\"reasoning_effort\": null, \"response_format\": {\"type\": \"text\"}, \"stop\": \"\\n\\n\", "
                + "\"stream\": false").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, extras.statusCode(), extras.body());

        HttpResponse<String> nulls = post(body("\"messages\": [" + USER + ", {\"role\": \"assistant\", "
                + "\"content\": null, \"name\": null, \"tool_calls\": " + CALLED.substring(CALLED.indexOf('['),
                        CALLED.length() - 1) + "}, {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": "
                + "\"42\", \"name\": null}], \"tools\": null, \"tool_choice\": null, \"temperature\": null, "
                + "\"top_p\": null, \"n\": null, \"stop\": null, \"seed\": null, \"stream\": null, \"stream_options\": "
                + "null, \"response_format\": null, \"parallel_tool_calls\": null, \"max_completion_tokens\": null, "
                + "\"max_tokens\": 2").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, nulls.statusCode(), nulls.body());

        HttpResponse<String> usage = post(body("\"messages\": [" + USER + "], \"max_tokens\": 2, \"stream\": true, "
                + "\"stream_options\": {\"include_usage\": true}").getBytes(StandardCharsets.UTF_8));
        assertEquals(200, usage.statusCode(), usage.body());
        assertTrue(usage.body().contains("\"usage\""), "stream_options.include_usage is honoured: " + usage.body());
    }

    private HttpResponse<String> assertInvalid(String param, String inMessage, String body) throws Exception {
        HttpResponse<String> response = post(body.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, response.statusCode(), response.body());
        JsonNode error = error(response);
        assertEquals("invalid_request_error", error.path("type").asText(), response.body());
        if (param == null) {
            assertTrue(error.path("param").isNull(), response.body());
        } else {
            assertEquals(param, error.path("param").asText(), response.body());
            if (!param.equals("messages") || inMessage == null || !inMessage.equals("bytes")) {
                assertTrue(error.path("message").asText().contains("'" + param + "'"),
                        "the message names the field: " + response.body());
            }
        }
        if (inMessage != null) {
            assertTrue(error.path("message").asText().contains(inMessage), response.body());
        }
        return response;
    }

    private static JsonNode error(HttpResponse<String> response) throws Exception {
        return ChatJson.MAPPER.readTree(response.body()).path("error");
    }

    private HttpResponse<String> post(byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "v1/chat/completions"))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        AUTH.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String body(String fields) {
        return "{\"model\": \"" + TestBaseModel.ID + "\", " + fields + "}";
    }
}
