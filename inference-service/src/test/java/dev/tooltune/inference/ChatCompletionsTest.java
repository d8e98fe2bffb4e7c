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
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The API through the official OpenAI Java SDK (and raw HTTP for status codes and headers), tiny random model. */
@QuarkusTest
@QuarkusTestResource(value = KafkaTopicResource.class, restrictToAnnotatedClass = false)
class ChatCompletionsTest {
    private static final String TOKEN = "X-Tooltune-Internal-Token";
    private static final Map<String, String> AUTH = Map.of(TOKEN, KafkaTopicResource.INTERNAL_TOKEN);
    /** Room for the shortest call of every sample tool (the longest, send_email's, is well under it). */
    private static final int TOOL_MAX_TOKENS = 96;

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

    /**
     * Every sample tool set in every tool_choice mode, streamed and not, at a temperature: the calls returned are
     * declared and schema-valid (formats included), required and named always call, none never does. The budget
     * holds the shortest call of every sample tool, so the grammar must finish each required or named call within
     * it: a request that ends by length there is a failure, not an excuse, and the test counts the calls it
     * validated so that it cannot pass with none.
     */
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
        AtomicInteger refused = new AtomicInteger();
        for (Case c : cases) {
            results.add(pool.submit(() -> checkToolCase(schemas, c.set(), c.mode(), c.stream(), refused)));
        }
        int calls = 0;
        try {
            for (Future<Integer> result : results) {
                calls += result.get();
            }
        } finally {
            pool.shutdownNow();
        }
        long mustCall = cases.stream().filter(c -> c.mode() == 1 || c.mode() == 2).count();
        System.out.printf("tool cases: %d requests, %d of them required or named (%d refused for uniqueItems), "
                + "%d schema-valid calls validated%n", cases.size(), mustCall, refused.get(), calls);
        assertTrue(refused.get() <= mustCall / 4, "refused after generation: " + refused.get());
        assertTrue(calls >= mustCall - refused.get(), "every required or named request yields at least one "
                + "validated call: " + calls + " calls for " + mustCall + " such requests");
    }

    /** One request; returns the number of calls it validated (each declared and schema-valid). */
    private int checkToolCase(ToolSchemas schemas, String set, int mode, boolean stream, AtomicInteger refused) {
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
                .temperature(0.8).seed(mode * 2L + (stream ? 1 : 0)).maxCompletionTokens(TOOL_MAX_TOKENS)
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
        // The sample tools use no keyword the grammar leaves to the post-check except uniqueItems (the tags of
        // create_ticket): nothing else may be refused after generation.
        String where = set + " mode " + mode + (stream ? " (stream)" : "") + ": " + extension;
        for (String enforced : List.of("not a declared tool", "arguments are not", "tool_choice requires",
                "parallel_tool_calls is false", "format", "pattern")) {
            assertFalse(extension.contains(enforced), where);
        }
        boolean refusedAfterGeneration = extension.contains("invalid_tool_calls");
        assertTrue(!refusedAfterGeneration || extension.contains("unique"), where);
        if (refusedAfterGeneration && (mode == 1 || mode == 2)) {
            refused.incrementAndGet();
        }
        ChatCompletion.Choice choice = completion.choices().get(0);
        List<ChatCompletionMessageToolCall> toolCalls = choice.message().toolCalls().orElse(List.of());
        boolean outOfTokens = choice.finishReason().equals(ChatCompletion.Choice.FinishReason.LENGTH);
        if (mode == 3) {
            assertTrue(toolCalls.isEmpty(), "tool_choice none must not call: " + where);
        }
        if (mode == 1 || mode == 2) {
            assertFalse(outOfTokens, "a required or named call must finish within " + TOOL_MAX_TOKENS + " tokens: " + where);
            assertTrue(!toolCalls.isEmpty() || refusedAfterGeneration, "required / named must call: " + where);
        }
        if (!toolCalls.isEmpty() && !outOfTokens) {
            assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason(), where + ": " + toolCalls);
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
            assertEquals("none", loaded(v1.adapterId(), tenant), "not fetched nor loaded before its first request");

            HttpResponse<String> byName = ServiceClients.post(base, "/v1/chat/completions",
                    "{\"model\": \"" + tenant + "/agent\", \"temperature\": 0, \"max_tokens\": 12, "
                            + "\"messages\": [{\"role\": \"user\", \"content\": \"Say something.\"}]}", AUTH);
            assertEquals(200, byName.statusCode(), byName.body());
            assertEquals(v1.adapterId(), byName.headers().firstValue("X-Tooltune-Adapter").orElseThrow());
            assertEquals("device", loaded(v1.adapterId(), tenant), "a chat loaded it into the engine");

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

    @Test
    void aPromptOverTheContextIs400NotA500AndTheServiceGoesOn() throws Exception {
        // About 40,000 tokens, under the byte limit: tokenised (off the event loop), then refused as too long.
        String words = "hello ".repeat(40_000);
        String tooLong = "{\"model\": \"" + TestBaseModel.ID + "\", \"stream\": %s, \"messages\": [{\"role\": "
                + "\"user\", \"content\": \"" + words + "\"}]}";
        for (String stream : List.of("false", "true")) {
            HttpResponse<String> refused = ServiceClients.post(base, "/v1/chat/completions",
                    tooLong.formatted(stream), AUTH);
            assertError(400, "messages", refused);
            JsonNode error = readJson(refused.body()).path("error");
            assertEquals("context_length_exceeded", error.path("code").asText(), refused.body());
            assertTrue(error.path("message").asText().contains("maximum context length is 32768 tokens"),
                    refused.body());
        }

        // Over the byte limit (1 MiB): refused before it is parsed or tokenised.
        String huge = "{\"model\": \"" + TestBaseModel.ID + "\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"" + "x".repeat(3 << 20) + "\"}]}";
        long started = System.nanoTime();
        HttpResponse<String> tooBig = ServiceClients.post(base, "/v1/chat/completions", huge, AUTH);
        assertError(400, "messages", tooBig);
        assertTrue(tooBig.body().contains("bytes"), tooBig.body());
        assertTrue(System.nanoTime() - started < 30_000_000_000L, "refusing a 3 MB body took over 30 s");

        HttpResponse<String> ok = ServiceClients.post(base, "/v1/chat/completions", body("\"max_tokens\": 2"), AUTH);
        assertEquals(200, ok.statusCode(), ok.body());
    }

    private static String body(String extra) {
        return "{\"model\": \"" + TestBaseModel.ID + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + extra + "}";
    }

    /** The load state that {@code /v1/models/{id}} and {@code /v1/models} report for {@code model}; they must agree. */
    private String loaded(String model, String tenant) throws Exception {
        Map<String, String> headers = Map.of(TOKEN, KafkaTopicResource.INTERNAL_TOKEN, "X-Tooltune-Tenant", tenant);
        HttpResponse<String> one = ServiceClients.get(base, "/v1/models/" + model, headers);
        assertEquals(200, one.statusCode(), one.body());
        String state = ChatJson.MAPPER.readTree(one.body()).path("tooltune").path("loaded").asText();
        HttpResponse<String> list = ServiceClients.get(base, "/v1/models", headers);
        for (JsonNode entry : ChatJson.MAPPER.readTree(list.body()).path("data")) {
            if (entry.path("id").asText().equals(model)) {
                assertEquals(state, entry.path("tooltune").path("loaded").asText(), list.body());
            }
        }
        return state;
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
