package dev.tooltune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The bar: for every tool set of the sample data (samples/tool-calling-sample.jsonl, lines grouped by their
 * distinct {@code tools} array), with the tiny random model, tool_choice {@code required} and a named function,
 * non-streamed and streamed, 100 % of the answers carry tool calls whose arguments parse and validate against the
 * tool's JSON Schema (chat-format's validator). A random model never "wants" to close a string, so this holds only
 * when constrained decoding finishes a call within max_tokens.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTopicResource.class, restrictToAnnotatedClass = false)
class SampleToolSetsTest {
    private static final Path SAMPLES = Path.of("..", "samples", "tool-calling-sample.jsonl");
    private static final int MAX_TOKENS = 192;
    /** Per tool_choice mode: one non-streamed and one streamed request per seed pair. */
    private static final int SEEDS_PER_MODE = 1;

    @TestHTTPResource("/")
    URL url;

    /** A distinct tools array of the sample data and the first user message of its first line. */
    record ToolSet(List<ToolDefinition> tools, String prompt, int lines) {
        String label() {
            return tools.size() + " tools (" + tools.get(0).function().name() + ", ...)";
        }
    }

    static List<ToolSet> toolSets() throws Exception {
        Map<String, List<JsonNode>> byTools = new LinkedHashMap<>();
        for (String line : Files.readAllLines(SAMPLES)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode example = ChatJson.MAPPER.readTree(line);
            byTools.computeIfAbsent(example.path("tools").toString(), k -> new ArrayList<>()).add(example);
        }
        List<ToolSet> sets = new ArrayList<>();
        for (List<JsonNode> examples : byTools.values()) {
            List<ToolDefinition> tools = new ArrayList<>();
            for (JsonNode tool : examples.get(0).path("tools")) {
                tools.add(ChatJson.MAPPER.treeToValue(tool, ToolDefinition.class));
            }
            String prompt = "";
            for (JsonNode message : examples.get(0).path("messages")) {
                if (message.path("role").asText().equals("user")) {
                    prompt = message.path("content").asText();
                    break;
                }
            }
            sets.add(new ToolSet(tools, prompt, examples.size()));
        }
        return sets;
    }

    @Test
    void everyToolSetGetsSchemaValidCallsInRequiredAndNamedModeStreamedOrNot() throws Exception {
        String base = url.toString();
        ServiceClients.awaitReady(base);
        OpenAIClient client = ServiceClients.openAi(base);
        ToolSchemas schemas = new ToolSchemas();
        List<ToolSet> sets = toolSets();
        assertTrue(sets.size() >= 2, "tool sets in " + SAMPLES.toAbsolutePath() + ": " + sets.size());

        record Case(ToolSet set, String named, long seed, boolean stream) {
            String describe() {
                return set.label() + ", tool_choice " + (named == null ? "required" : named) + ", seed " + seed
                        + (stream ? ", streamed" : "");
            }
        }
        List<Case> cases = new ArrayList<>();
        for (ToolSet set : sets) {
            // Four seeds per tool set, one per mode and transport; the named tool moves through the set.
            for (int variant = 0; variant < 2 * SEEDS_PER_MODE; variant++) {
                long seed = variant + 1;
                boolean stream = variant % 2 == 1;
                String named = set.tools().get(variant * 5 % set.tools().size()).function().name();
                cases.add(new Case(set, null, seed, stream));
                cases.add(new Case(set, named, seed + 100, stream));
            }
        }
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Case c : cases) {
                done.add(pool.submit(() -> {
                    String problem = check(client, schemas, c.set(), c.named(), c.seed(), c.stream());
                    if (problem != null) {
                        failures.add(c.describe() + ": " + problem);
                    }
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), failures, failures.size() + " of " + cases.size() + " answers without schema-valid"
                + " tool calls (max_tokens " + MAX_TOKENS + "):\n" + String.join("\n", failures));
    }

    /** One request; null when it got at least one call and every call is valid, else what was wrong. */
    private static String check(OpenAIClient client, ToolSchemas schemas, ToolSet set, String named, long seed,
            boolean stream) {
        ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
                .model(TestBaseModel.ID).addUserMessage(set.prompt())
                .temperature(0.8).seed(seed).maxCompletionTokens(MAX_TOKENS)
                .toolChoice(named == null
                        ? ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                        : ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
                                .function(ChatCompletionNamedToolChoice.Function.builder().name(named).build())
                                .build()));
        set.tools().forEach(t -> params.addTool(ServiceClients.tool(t)));
        ChatCompletion completion = null;
        for (int attempt = 0; completion == null; attempt++) {
            try {
                if (stream) {
                    ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
                    try (StreamResponse<ChatCompletionChunk> chunks =
                            client.chat().completions().createStreaming(params.build())) {
                        chunks.stream().forEach(accumulator::accumulate);
                    }
                    completion = accumulator.chatCompletion();
                } else {
                    completion = client.chat().completions().create(params.build());
                }
            } catch (RateLimitException e) {
                // The test queue is small (6); another test's requests may still be finishing.
                if (attempt >= 30) {
                    throw e;
                }
                sleep(1000);
            }
        }
        ChatCompletion.Choice choice = completion.choices().get(0);
        List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElse(List.of());
        if (calls.isEmpty()) {
            return "no tool call (finish_reason " + choice.finishReason() + ", tooltune "
                    + completion._additionalProperties().get("tooltune") + ")";
        }
        for (ChatCompletionMessageToolCall call : calls) {
            ChatCompletionMessageFunctionToolCall function = call.asFunction();
            String name = function.function().name();
            if (named != null && !named.equals(name)) {
                return "called " + name + " instead of " + named;
            }
            ToolDefinition tool = set.tools().stream().filter(t -> t.function().name().equals(name)).findFirst()
                    .orElse(null);
            if (tool == null) {
                return "called undeclared " + name;
            }
            JsonNode arguments;
            try {
                arguments = ChatJson.MAPPER.readTree(function.function().arguments());
            } catch (Exception e) {
                return name + " arguments are not JSON: " + function.function().arguments();
            }
            var violations = schemas.compile(tool.function().parameters()).schema().validate(arguments);
            if (!violations.isEmpty()) {
                return name + " arguments " + arguments + " violate the schema: " + violations;
            }
        }
        return null;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
