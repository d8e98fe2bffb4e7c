package dev.tooltune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tool calls stream the way OpenAI streams them: a first {@code delta.tool_calls[i]} with index, id, type and name
 * (arguments ""), then argument fragments as they are generated, then finish_reason tool_calls; the accumulated
 * arguments equal the non-streamed answer for the same seed. Checked on raw SSE and with the OpenAI Java SDK's
 * accumulator.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTopicResource.class, restrictToAnnotatedClass = false)
class ToolCallStreamingTest {
    /**
     * Every argument is bounded (enum, integer range, boolean), so a call closes within a few dozen tokens (a random
     * model may spell the frame in one-character tokens, hence max_tokens 160).
     */
    private static final ToolDefinition FORECAST = tool("get_forecast", """
            {"type": "object", "properties": {
              "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
              "days": {"type": "integer", "minimum": 1, "maximum": 7},
              "alerts": {"type": "boolean"}},
             "required": ["unit", "days", "alerts"], "additionalProperties": false}""");

    @TestHTTPResource("/")
    URL url;

    private String base;
    private OpenAIClient client;

    @BeforeEach
    void ready() throws Exception {
        base = url.toString();
        ServiceClients.awaitReady(base);
        client = ServiceClients.openAi(base);
    }

    private static ToolDefinition tool(String name, String schema) {
        try {
            return ChatJson.MAPPER.readValue("{\"type\": \"function\", \"function\": {\"name\": \"" + name
                    + "\", \"description\": \"Weather forecast.\", \"parameters\": " + schema + "}}", ToolDefinition.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String requestJson(long seed, boolean stream) {
        return """
                {"model": "%s", "temperature": 0.8, "seed": %d, "max_tokens": 160, "stream": %s,
                 "messages": [{"role": "user", "content": "Forecast for the week, please."}],
                 "tools": [%s],
                 "tool_choice": {"type": "function", "function": {"name": "get_forecast"}}}"""
                .formatted(TestBaseModel.ID, seed, stream, ChatJson.MAPPER.valueToTree(FORECAST));
    }

    @Test
    void rawSseSendsIdAndNameFirstThenSeveralArgumentFragmentsThatAddUpToTheNonStreamedCall() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            HttpResponse<String> whole = ServiceClients.post(base, "/v1/chat/completions", requestJson(seed, false),
                    Map.of("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN));
            assertEquals(200, whole.statusCode(), whole.body());
            JsonNode message = ChatJson.MAPPER.readTree(whole.body()).path("choices").path(0).path("message");
            JsonNode expected = message.path("tool_calls").path(0);
            assertEquals("get_forecast", expected.path("function").path("name").asText(), whole.body());

            HttpResponse<String> streamed = ServiceClients.post(base, "/v1/chat/completions", requestJson(seed, true),
                    Map.of("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN));
            assertEquals(200, streamed.statusCode(), streamed.body());
            List<JsonNode> deltas = new ArrayList<>();
            String finish = null;
            boolean done = false;
            for (String line : streamed.body().split("\n")) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                String data = line.substring("data: ".length());
                if (data.equals("[DONE]")) {
                    done = true;
                    continue;
                }
                JsonNode choice = ChatJson.MAPPER.readTree(data).path("choices").path(0);
                if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                    finish = choice.path("finish_reason").asText();
                }
                deltas.add(choice.path("delta"));
            }
            assertTrue(done, "the stream ends with [DONE]");
            assertEquals("tool_calls", finish, streamed.body());

            List<JsonNode> callDeltas = deltas.stream().filter(d -> d.has("tool_calls")).toList();
            JsonNode first = callDeltas.get(0).path("tool_calls").path(0);
            assertEquals(0, first.path("index").asInt());
            assertTrue(first.path("id").asText().startsWith("call_"), first.toString());
            assertEquals("function", first.path("type").asText());
            assertEquals("get_forecast", first.path("function").path("name").asText());
            assertEquals("", first.path("function").path("arguments").asText());
            StringBuilder arguments = new StringBuilder();
            int fragments = 0;
            for (JsonNode delta : callDeltas.subList(1, callDeltas.size())) {
                JsonNode item = delta.path("tool_calls").path(0);
                assertEquals(0, item.path("index").asInt());
                assertFalse(item.has("id"), "only the first chunk of a call carries its id: " + item);
                assertFalse(item.path("function").has("name"), "only the first chunk names the function: " + item);
                arguments.append(item.path("function").path("arguments").asText());
                fragments++;
            }
            assertTrue(fragments >= 2, "arguments arrive in fragments as generated, got " + fragments + ": "
                    + streamed.body());
            assertEquals(expected.path("function").path("arguments").asText(), arguments.toString(),
                    "seed " + seed + ": accumulated arguments equal the non-streamed call");
            for (JsonNode delta : deltas) {
                String content = delta.path("content").asText("");
                assertFalse(content.contains("`") || content.contains("tool_call"), "fence text in content: " + delta);
            }
        }
    }

    /**
     * With tool_choice required or a named function the grammar allows no text, only the call: a call that
     * max_tokens cuts before its name is whole (here in the fence itself) is not content. It was: OpenAI SDK users
     * got "```too" as the assistant's text, streamed and not.
     */
    @Test
    void aForcedCallCutBeforeItsNameIsReportedNotReturnedAsContent() throws Exception {
        for (String choice : List.of("\"required\"", "{\"type\": \"function\", \"function\": {\"name\": \"get_forecast\"}}")) {
            for (int maxTokens = 1; maxTokens <= 3; maxTokens++) {
                String request = requestJson(1, false).replace("\"max_tokens\": 160", "\"max_tokens\": " + maxTokens)
                        .replaceFirst("\"tool_choice\": \\{.*?\\}\\}", "\"tool_choice\": " + choice);
                assertTrue(request.contains("\"max_tokens\": " + maxTokens) && request.contains("\"tool_choice\": " + choice),
                        request);
                HttpResponse<String> whole = ServiceClients.post(base, "/v1/chat/completions", request,
                        Map.of("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN));
                assertEquals(200, whole.statusCode(), whole.body());
                JsonNode answer = ChatJson.MAPPER.readTree(whole.body());
                JsonNode message = answer.path("choices").path(0).path("message");
                assertTrue(message.path("content").isNull(), choice + ", max_tokens " + maxTokens + ": " + whole.body());
                assertFalse(message.has("tool_calls"), whole.body());
                assertEquals("length", answer.path("choices").path(0).path("finish_reason").asText(), whole.body());
                assertEquals(1, answer.path("tooltune").path("invalid_tool_calls").size(), whole.body());

                HttpResponse<String> streamed = ServiceClients.post(base, "/v1/chat/completions",
                        request.replace("\"stream\": false", "\"stream\": true"),
                        Map.of("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN));
                assertEquals(200, streamed.statusCode(), streamed.body());
                assertTrue(streamed.body().contains("\"finish_reason\":\"length\""), streamed.body());
                for (String line : streamed.body().split("\n")) {
                    if (line.startsWith("data: {")) {
                        JsonNode delta = ChatJson.MAPPER.readTree(line.substring(6)).path("choices").path(0).path("delta");
                        assertEquals("", delta.path("content").asText(""), "no content: " + streamed.body());
                    }
                }
            }
        }
    }

    @Test
    void theSdksAccumulatorRebuildsTheSameCallAsTheNonStreamedAnswer() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model(TestBaseModel.ID).addUserMessage("Forecast for the week, please.")
                .temperature(0.8).seed(7).maxCompletionTokens(160)
                .addTool(ServiceClients.tool(FORECAST))
                .toolChoice(ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name("get_forecast").build())
                        .build()))
                .build();
        ChatCompletion whole = client.chat().completions().create(params);
        ChatCompletionMessageFunctionToolCall expected = whole.choices().get(0).message().toolCalls().orElseThrow()
                .get(0).asFunction();

        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        int argumentChunks = 0;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                accumulator.accumulate(chunk);
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    for (ChatCompletionChunk.Choice.Delta.ToolCall call : choice.delta().toolCalls().orElse(List.of())) {
                        if (call.id().isEmpty() && call.function().flatMap(f -> f.arguments()).isPresent()) {
                            argumentChunks++;
                        }
                    }
                }
            }
        }
        ChatCompletion.Choice choice = accumulator.chatCompletion().choices().get(0);
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason(),
                "streamed: " + accumulator.chatCompletion() + "\nwhole: " + whole);
        List<com.openai.models.chat.completions.ChatCompletionMessageToolCall> calls =
                choice.message().toolCalls().orElseThrow();
        assertEquals(1, calls.size());
        ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
        assertEquals("get_forecast", call.function().name());
        assertEquals(expected.function().arguments(), call.function().arguments());
        assertTrue(call.id().startsWith("call_"));
        assertTrue(argumentChunks >= 2, "argument fragments: " + argumentChunks);
        assertTrue(choice.message().content().orElse("").isEmpty(), "no content beside a named call");
    }
}
