package dev.tooltune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.inference.serving.ConstraintFactory;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API through the official OpenAI Java SDK (and raw HTTP for status codes and headers), tiny random model. */
@QuarkusTest
@QuarkusTestResource(value = KafkaTopicResource.class, restrictToAnnotatedClass = false)
class ChatCompletionsTest {
    private static final String TOKEN = "X-Tooltune-Internal-Token";
    private static final Map<String, String> AUTH = Map.of(TOKEN, KafkaTopicResource.INTERNAL_TOKEN);

    @TestHTTPResource("/")
    URL url;

    @Inject
    ConstraintFactory constraints;

    private String base;
    private OpenAIClient client;

    @BeforeEach
    void ready() throws Exception {
        base = url.toString();
        ServiceClients.awaitReady(base);
        client = ServiceClients.openAi(base);
    }

    private static ChatCompletionCreateParams.Builder greedy(String model, String prompt, int maxTokens) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(prompt).temperature(0)
                .maxCompletionTokens(maxTokens);
    }

    @Test
    void plainChatAnswersInOpenAisShape() {
        ChatCompletion completion = client.chat().completions().create(greedy(TestBaseModel.ID, "Hello!", 8)
                .addSystemMessage("You are terse.").build());
        assertEquals(1, completion.choices().size());
        ChatCompletion.Choice choice = completion.choices().get(0);
        assertTrue(choice.finishReason().equals(ChatCompletion.Choice.FinishReason.STOP)
                || choice.finishReason().equals(ChatCompletion.Choice.FinishReason.LENGTH), choice.finishReason().toString());
        assertTrue(choice.message().content().isPresent());
        assertTrue(completion.id().startsWith("chatcmpl-"));
        var usage = completion.usage().orElseThrow();
        assertTrue(usage.promptTokens() > 10, "prompt tokens " + usage.promptTokens());
        assertTrue(usage.completionTokens() >= 1 && usage.completionTokens() <= 8);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertTrue(completion.systemFingerprint().orElseThrow().startsWith(TestBaseModel.ID + "@"));
    }

    @Test
    void streamingGivesTheSameGreedyAnswerAsOneResponseThenUsage() {
        ChatCompletionCreateParams params = greedy(TestBaseModel.ID, "Write a poem about the sea.", 24).build();
        String whole = client.chat().completions().create(params).choices().get(0).message().content().orElse("");

        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                params.toBuilder().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build())) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                accumulator.accumulate(chunk);
            });
        }
        ChatCompletion streamed = accumulator.chatCompletion();
        assertEquals(whole, streamed.choices().get(0).message().content().orElse(""));
        assertTrue(chunks.size() >= 3, "role chunk, content, finish: " + chunks.size());
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty(), "the usage chunk has no choices");
        assertTrue(last.usage().orElseThrow().completionTokens() >= 1);
    }

    @Test
    void toolCallsOfEverySampleToolSetAreSchemaValidInEveryModeStreamingIncluded() throws Exception {
        ToolSchemas schemas = new ToolSchemas();
        record Case(String set, int mode, boolean stream) {}
        List<Case> cases = new ArrayList<>();
        for (String set : SampleTools.TOOL_SETS.keySet()) {
            for (int mode = 0; mode < 4; mode++) {
                cases.add(new Case(set, mode, false));
                cases.add(new Case(set, mode, true));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> results = new ArrayList<>();
        for (Case c : cases) {
            results.add(pool.submit(() -> checkToolCase(schemas, c.set(), c.mode(), c.stream())));
        }
        int calls = 0;
        try {
            for (Future<Integer> result : results) {
                calls += result.get();
            }
        } finally {
            pool.shutdownNow();
        }
        // A random model rarely closes a JSON string within the token limit, so most required/named answers end at
        // the limit inside a call; the checks above are what must hold for every answer.
        System.out.printf("tool cases: %d requests, %d schema-valid calls%n", cases.size(), calls);
    }

    /** One request; returns the number of (schema-valid) calls it got. */
    private int checkToolCase(ToolSchemas schemas, String set, int mode, boolean stream) {
        List<ToolDefinition> tools = SampleTools.TOOL_SETS.get(set);
        String first = tools.get(0).function().name();
        List<ChatCompletionToolChoiceOption> choices = List.of(
                ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.AUTO),
                ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.REQUIRED),
                ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name(first).build()).build()),
                ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.NONE));
        ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
                .model(TestBaseModel.ID)
                .addUserMessage("Please use the " + set + " tools for my request #" + mode)
                .temperature(0.8).seed(mode * 2L + (stream ? 1 : 0)).maxCompletionTokens(48)
                .toolChoice(choices.get(mode));
        tools.forEach(t -> params.addTool(ServiceClients.tool(t)));
        ChatCompletion completion;
        String extension = "";
        if (stream) {
            ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
            List<ChatCompletionChunk> received = new ArrayList<>();
            try (StreamResponse<ChatCompletionChunk> chunks = client.chat().completions().createStreaming(params.build())) {
                chunks.stream().forEach(chunk -> {
                    received.add(chunk);
                    accumulator.accumulate(chunk);
                });
            }
            completion = accumulator.chatCompletion();
            for (ChatCompletionChunk chunk : received) {
                JsonValue value = chunk._additionalProperties().get("tooltune");
                if (value != null) {
                    extension = String.valueOf(value);
                }
            }
        } else {
            completion = client.chat().completions().create(params.build());
            JsonValue value = completion._additionalProperties().get("tooltune");
            extension = value == null ? "" : String.valueOf(value);
        }
        // What the grammar enforces is never refused after generation; only pattern/format-like keywords may be.
        if (constraints.available()) {
            for (String enforced : List.of("not a declared tool", "arguments are not", "tool_choice requires",
                    "parallel_tool_calls is false")) {
                assertFalse(extension.contains(enforced), set + " mode " + mode + ": " + extension);
            }
        }
        boolean refusedAfterGeneration = extension.contains("invalid_tool_calls");
        String where = set + " mode " + mode + (stream ? " (stream)" : "");
        ChatCompletion.Choice choice = completion.choices().get(0);
        List<ChatCompletionMessageToolCall> toolCalls = choice.message().toolCalls().orElse(List.of());
        boolean outOfTokens = choice.finishReason().equals(ChatCompletion.Choice.FinishReason.LENGTH);
        if (mode == 3) {
            assertTrue(toolCalls.isEmpty(), "tool_choice none must not call: " + where);
        }
        if ((mode == 1 || mode == 2) && constraints.available() && !outOfTokens && !refusedAfterGeneration) {
            assertFalse(toolCalls.isEmpty(), "required / named must call: " + where);
        }
        if (!toolCalls.isEmpty() && !outOfTokens) {
            assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason(), where + ": "
                    + toolCalls + " " + extension);
        }
        if (stream && outOfTokens && !toolCalls.isEmpty()) {
            // As OpenAI's: a call streamed while it was generated and then cut by max_tokens stays in the stream,
            // incomplete; finish_reason length says so (and tooltune.invalid_tool_calls lists it).
            toolCalls = toolCalls.subList(0, toolCalls.size() - 1);
        }
        for (ChatCompletionMessageToolCall call : toolCalls) {
            ChatCompletionMessageFunctionToolCall function = call.asFunction();
            assertTrue(function.id().startsWith("call_"), function.id());
            ToolDefinition tool = tools.stream()
                    .filter(t -> t.function().name().equals(function.function().name()))
                    .findFirst().orElseThrow(() -> new AssertionError("undeclared tool " + function + ": " + where));
            if (mode == 2) {
                assertEquals(first, tool.function().name(), where);
            }
            JsonNode arguments = readJson(function.function().arguments());
            assertTrue(schemas.compile(tool.function().parameters()).schema().validate(arguments).isEmpty(),
                    "arguments " + arguments + " violate the schema of " + tool.function().name() + ": " + where);
        }
        return toolCalls.size();
    }

    @Test
    void badRequestsGetOpenAiErrorsNamingTheParameter() throws Exception {
        assertError(400, "messages", ServiceClients.post(base, "/v1/chat/completions",
                "{\"model\": \"" + TestBaseModel.ID + "\"}", AUTH));
        assertError(400, "n", ServiceClients.post(base, "/v1/chat/completions", body("\"n\": 2"), AUTH));
        assertError(400, "messages[0].role", ServiceClients.post(base, "/v1/chat/completions",
                "{\"model\": \"" + TestBaseModel.ID + "\", \"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}",
                AUTH));
        assertError(400, "tool_choice", ServiceClients.post(base, "/v1/chat/completions",
                body("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"a\"}}], "
                        + "\"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"b\"}}"), AUTH));
        assertError(400, "temperature", ServiceClients.post(base, "/v1/chat/completions", body("\"temperature\": 3"), AUTH));
        assertError(400, "tools[0].function.parameters", ServiceClients.post(base, "/v1/chat/completions",
                body("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"a\", \"parameters\": "
                        + "{\"type\": \"no-such-type\"}}}]"), AUTH));
        // A prompt over the model's context (tiny: 32,768 tokens) is the client's error, not the server's (#21.1).
        HttpResponse<String> tooLong = ServiceClients.post(base, "/v1/chat/completions", "{\"model\": \""
                + TestBaseModel.ID + "\", \"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \""
                + " hello".repeat(40_000) + "\"}]}", AUTH);
        assertError(400, "messages", tooLong);
        assertTrue(tooLong.body().contains("context_length_exceeded"), tooLong.body());
        HttpResponse<String> notJson = ServiceClients.post(base, "/v1/chat/completions", "{\"model\": ", AUTH);
        assertEquals(400, notJson.statusCode());
        assertTrue(notJson.body().contains("line 1"), notJson.body());

        // Unknown fields are ignored, as OpenAI does.
        HttpResponse<String> ok = ServiceClients.post(base, "/v1/chat/completions",
                body("\"max_tokens\": 2, \"frequency_penalty\": 0.5, \"some_future_field\": {\"x\": 1}"), AUTH);
        assertEquals(200, ok.statusCode(), ok.body());

        // Without the internal token: 401; with a wrong one too.
        assertEquals(401, ServiceClients.post(base, "/v1/chat/completions", body("\"max_tokens\": 2"), Map.of())
                .statusCode());
        assertEquals(401, ServiceClients.get(base, "/v1/models", Map.of(TOKEN, "wrong")).statusCode());

        NotFoundException missing = assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(greedy("acme/no-such-adapter", "hi", 2).build()));
        assertEquals("model_not_found", missing.code().orElseThrow());
    }

    @Test
    void adaptersAreServedByIdAndNameOnlyToTheirTenantAndOnlyForTheServedBase() throws Exception {
        try (AdapterPublisher publisher = new AdapterPublisher()) {
            String tenant = "acme-" + System.nanoTime();
            Adapter v1 = publisher.publish(tenant, "agent", 1, 11);
            Adapter otherBase = publisher.publish(tenant, "other-base", 1, 12,
                    new BaseModel(TestBaseModel.ID, "some-other-revision"));
            ServiceClients.awaitModel(base, v1.adapterId(), true);

            HttpResponse<String> byName = ServiceClients.post(base, "/v1/chat/completions",
                    "{\"model\": \"" + tenant + "/agent\", \"temperature\": 0, \"max_tokens\": 12, "
                            + "\"messages\": [{\"role\": \"user\", \"content\": \"Say something.\"}]}", AUTH);
            assertEquals(200, byName.statusCode(), byName.body());
            assertEquals(v1.adapterId(), byName.headers().firstValue("X-Tooltune-Adapter").orElseThrow());

            String adapterText = content(client.chat().completions().create(greedy(v1.adapterId(), "Say something.", 12).build()));
            String baseText = content(client.chat().completions().create(greedy(TestBaseModel.ID, "Say something.", 12).build()));
            assertNotEquals(baseText, adapterText, "the adapter changes the greedy output");

            // Another tenant sees neither the adapter nor its name.
            OpenAIClient stranger = ServiceClients.openAi(base, "someone-else");
            assertThrows(NotFoundException.class,
                    () -> stranger.chat().completions().create(greedy(v1.adapterId(), "hi", 2).build()));
            assertThrows(NotFoundException.class,
                    () -> stranger.chat().completions().create(greedy(tenant + "/agent", "hi", 2).build()));
            List<String> strangerModels = stranger.models().list().data().stream().map(m -> m.id()).toList();
            assertFalse(strangerModels.contains(v1.adapterId()));
            assertTrue(strangerModels.contains(TestBaseModel.ID));
            List<String> ownModels = ServiceClients.openAi(base, tenant).models().list().data().stream()
                    .map(m -> m.id()).toList();
            assertTrue(ownModels.contains(v1.adapterId()), ownModels.toString());
            assertFalse(ownModels.contains(otherBase.adapterId()), "an adapter of another base revision is not servable");

            // A new version takes over the name; deleting it gives the name back to v1.
            Adapter v2 = publisher.publish(tenant, "agent", 2, 22);
            ServiceClients.awaitModel(base, v2.adapterId(), true);
            HttpResponse<String> second = ServiceClients.post(base, "/v1/chat/completions",
                    "{\"model\": \"" + tenant + "/agent\", \"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                    Map.of(TOKEN, KafkaTopicResource.INTERNAL_TOKEN, "X-Tooltune-Tenant", tenant));
            assertEquals(v2.adapterId(), second.headers().firstValue("X-Tooltune-Adapter").orElseThrow());
            publisher.delete(v2);
            ServiceClients.awaitModel(base, v2.adapterId(), false);
            assertThrows(NotFoundException.class,
                    () -> client.chat().completions().create(greedy(v2.adapterId(), "hi", 2).build()));
            assertEquals(adapterText, content(client.chat().completions().create(
                    greedy(tenant + "/agent", "Say something.", 12).build())));
            publisher.delete(v1);
        }
    }

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                responses.add(pool.submit(() -> ServiceClients.post(base, "/v1/chat/completions",
                        body("\"max_tokens\": 64, \"temperature\": 0"), AUTH)));
            }
            int ok = 0;
            int limited = 0;
            for (Future<HttpResponse<String>> future : responses) {
                HttpResponse<String> response = future.get();
                if (response.statusCode() == 429) {
                    limited++;
                    assertEquals("1", response.headers().firstValue("Retry-After").orElseThrow());
                    assertEquals("rate_limit_exceeded", readJson(response.body()).path("error").path("type").asText());
                } else {
                    assertEquals(200, response.statusCode(), response.body());
                    ok++;
                }
            }
            assertTrue(limited > 0, "16 concurrent requests over a queue of 6: some must be refused");
            assertTrue(ok >= 6, "ok: " + ok);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aClientThatDisconnectsCancelsItsGeneration() throws Exception {
        double before = metric("tooltune_inference_request_duration_seconds_count{outcome=\"disconnected\"");
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "v1/chat/completions"))
                .header("Content-Type", "application/json").header(TOKEN, KafkaTopicResource.INTERNAL_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body("\"stream\": true, \"max_tokens\": 4000, "
                        + "\"temperature\": 1, \"seed\": 5")))
                .build();
        HttpResponse<InputStream> response = ServiceClients.HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        try (InputStream body = response.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            assertTrue(reader.readLine().startsWith("data: "));
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (metric("tooltune_inference_request_duration_seconds_count{outcome=\"disconnected\"") <= before) {
            assertTrue(System.nanoTime() < deadline, "the disconnected request was never cancelled");
            Thread.sleep(100);
        }
    }

    private double metric(String prefix) throws Exception {
        String text = ServiceClients.get(base, "/q/metrics", Map.of()).body();
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static String body(String extra) {
        return "{\"model\": \"" + TestBaseModel.ID + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + extra + "}";
    }

    private static void assertError(int status, String param, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = readJson(response.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText(), response.body());
        assertEquals(param, error.path("param").asText(), response.body());
        assertNotNull(error.get("message"));
    }

    private static String content(ChatCompletion completion) {
        return completion.choices().get(0).message().content().orElse("");
    }

    private static JsonNode readJson(String text) {
        try {
            return ChatJson.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

}
