package dev.tooltune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.FineTuningJobEvent;
import com.openai.models.finetuning.jobs.JobCreateParams;
import com.openai.models.finetuning.jobs.JobListEventsParams;
import com.openai.models.finetuning.methods.SupervisedHyperparameters;
import com.openai.models.finetuning.methods.SupervisedMethod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The main job as a client sees it, with the official OpenAI Java SDK against the whole stack started by
 * {@code scripts/stack.sh} (Kafka, dataset-service, trainer-service, inference-service, gateway as real processes on
 * real PostgreSQL): a key from {@code scripts/admin.sh}, the sample dataset uploaded, a LoRA job on the tiny random
 * Gemma 3 followed to success, and the fine-tuned model answering the trained prompt with the trained tool call.
 * Then, on the same stack, the other OpenAI clients users have: the Python and Node SDKs ({@code sdk-compat/}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MainJobIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE_MODEL = "tooltune/gemma-3-tiny-random";
    private static final Path ROOT = Path.of(System.getProperty("tooltune.root", "..")).toAbsolutePath().normalize();
    private static final Path STACK_DIR = Path.of(System.getProperty("tooltune.stack.dir", "target/stack")).toAbsolutePath();
    private static final Path SAMPLE = ROOT.resolve("samples/tool-calling-sample.jsonl");
    /** The trained conversation: the shortest of the sample that calls a tool (a 2-core CPU learns them in minutes). */
    private static final int EXAMPLES = 1;
    private static final Set<FineTuningJob.Status> FINISHED =
            Set.of(FineTuningJob.Status.SUCCEEDED, FineTuningJob.Status.FAILED, FineTuningJob.Status.CANCELLED);

    private static Map<String, String> stackEnv;
    private static String gatewayUrl;
    private static String apiKey;

    @BeforeAll
    static void startStack() throws Exception {
        stackEnv = new java.util.HashMap<>();
        stackEnv.put("TOOLTUNE_STACK_DIR", STACK_DIR.toString());
        stackEnv.put("TOOLTUNE_STACK_PORT", String.valueOf(FreePorts.block(4)));
        stackEnv.put("TOOLTUNE_STACK_DATASET_DB", System.getProperty("tooltune.e2e.dataset.db", "tooltune_e2e"));
        stackEnv.put("TOOLTUNE_STACK_GATEWAY_DB", System.getProperty("tooltune.e2e.gateway.db", "tooltune_gateway_e2e"));
        stackEnv.put("TOOLTUNE_STACK_HEAP", "768m");
        // A rate a single client can exceed even on a busy CI machine (the SDK check's 429 and Retry-After); the
        // main job and the SDK scripts stay well under it.
        stackEnv.put("TOOLTUNE_GATEWAY_RATE_LIMIT_BURST", "40");
        stackEnv.put("TOOLTUNE_GATEWAY_RATE_LIMIT_PER_SECOND", "4");
        if (System.getenv("KAFKA_BOOTSTRAP_SERVERS") == null) {
            stackEnv.put("KAFKA_PORT", String.valueOf(FreePorts.block(2)));   // its own broker, stopped by down
        }
        gatewayUrl = script(Duration.ofMinutes(10), "scripts/stack.sh", "up").strip();
        String tenant = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        String gatewayDb = script(Duration.ofMinutes(1), "scripts/stack.sh", "env").lines()
                .filter(l -> l.startsWith("QUARKUS_DATASOURCE_JDBC_URL=")).findFirst().orElseThrow()
                .substring("QUARKUS_DATASOURCE_JDBC_URL=".length());
        stackEnv.put("QUARKUS_DATASOURCE_JDBC_URL", gatewayDb);
        apiKey = script(Duration.ofMinutes(1), "scripts/admin.sh", "create-key", "--tenant", tenant).strip();
        assertTrue(apiKey.startsWith("tt-"), "admin.sh prints the key alone: " + apiKey);
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (stackEnv != null) {
            script(Duration.ofMinutes(3), "scripts/stack.sh", "down");
        }
    }

    @Test
    @Order(1)
    void fineTunesTheTinyModelThroughTheGatewayAndCallsTheTrainedTool() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(gatewayUrl + "/v1").apiKey(apiKey)
                .timeout(Duration.ofMinutes(5)).build();
        assertTrue(client.models().list().data().stream().anyMatch(m -> m.id().equals(BASE_MODEL)),
                "the base model is listed");

        // The whole sample: 400 conversations, every line valid.
        FileObject sample = client.files().create(FileCreateParams.builder().file(SAMPLE).purpose(FilePurpose.FINE_TUNE).build());
        assertEquals(FileObject.Status.PROCESSED, sample.status());
        long sampleLines = Files.readAllLines(SAMPLE).stream().filter(l -> !l.isBlank()).count();
        assertEquals(sampleLines, ((Number) sample._additionalProperties().get("tooltune_examples").asNumber().orElseThrow()).longValue());

        // The training file: the shortest conversations of the sample that call a tool.
        List<String> training = shortestToolCallingLines(EXAMPLES);
        Path trainingPath = Files.createTempFile("e2e-train-", ".jsonl");
        Files.writeString(trainingPath, String.join("\n", training) + "\n");
        FileObject trainingFile = client.files().create(FileCreateParams.builder().file(trainingPath)
                .purpose(FilePurpose.FINE_TUNE).build());
        Files.delete(trainingPath);

        FineTuningJob job = client.fineTuning().jobs().create(JobCreateParams.builder()
                .model(BASE_MODEL).trainingFile(trainingFile.id()).suffix("e2e").seed(1L)
                .method(JobCreateParams.Method.builder().type(JobCreateParams.Method.Type.SUPERVISED)
                        .supervised(SupervisedMethod.builder().hyperparameters(SupervisedHyperparameters.builder()
                                .nEpochs(40).batchSize(1).build()).build()).build())
                .putAdditionalBodyProperty("tooltune", JsonValue.from(Map.of("method", "lora", "learning_rate", 0.02,
                        "gradient_accumulation_steps", EXAMPLES, "max_length", 1024,
                        "lora", Map.of("rank", 16, "alpha", 32, "dropout", 0))))
                .build());
        assertEquals(FineTuningJob.Status.VALIDATING_FILES, job.status());

        Instant deadline = Instant.now().plus(Duration.ofMinutes(20));
        FineTuningJob current = job;
        while (!FINISHED.contains(current.status())) {
            if (Instant.now().isAfter(deadline)) {
                fail("job " + job.id() + " not finished in 20 minutes: " + current.status()
                        + "; logs in " + STACK_DIR.resolve("logs"));
            }
            Thread.sleep(2000);
            current = client.fineTuning().jobs().retrieve(job.id());
        }
        FineTuningJob finished = current;
        assertEquals(FineTuningJob.Status.SUCCEEDED, finished.status(), () -> "job " + job.id() + " ended "
                + finished.status() + " " + finished.error() + "; logs in " + STACK_DIR.resolve("logs"));
        String model = finished.fineTunedModel().orElseThrow();

        List<FineTuningJobEvent> events = new ArrayList<>();
        client.fineTuning().jobs().listEvents(JobListEventsParams.builder().fineTuningJobId(job.id()).limit(100L).build())
                .autoPager().forEach(events::add);
        List<String> steps = events.stream().map(FineTuningJobEvent::message).filter(m -> m.startsWith("Step ")).toList();
        assertFalse(steps.isEmpty(), "progress events with step and loss: " + events);
        assertTrue(steps.stream().anyMatch(m -> m.startsWith("Step 40/40")), "the last step reported: " + steps);
        assertTrue(client.models().list().data().stream().anyMatch(m -> m.id().equals(model)), "the fine-tuned model is listed");

        // The first trained prompt with its tools: the fine-tuned model calls the trained tool with the trained arguments.
        JsonNode example = JSON.readTree(training.get(0));
        JsonNode expected = example.path("messages").get(1).path("tool_calls").get(0).path("function");
        ChatCompletion tuned = client.chat().completions().create(chatParams(example, model));
        ChatCompletionMessageFunctionToolCall call = firstToolCall(tuned);
        assertEquals(expected.path("name").asText(), call.function().name(), tuned.toString());
        assertEquals(JSON.readTree(expected.path("arguments").asText()), JSON.readTree(call.function().arguments()),
                tuned.toString());
        assertEquals(model, tuned.model(), "the answer names the model the caller used");

        // The same prompt on the base model is served too (constrained to the tools, so a call, just not the trained one).
        ChatCompletion base = client.chat().completions().create(chatParams(example, BASE_MODEL));
        assertEquals(1, base.choices().size());
        System.out.printf("e2e: expected %s %s%n  fine-tuned: %s %s%n  base model: %s%n", expected.path("name").asText(),
                expected.path("arguments").asText(), call.function().name(), call.function().arguments(),
                base.choices().get(0).message());
    }

    /**
     * The official Python and Node SDKs as their users call them (sdk-compat/run.sh: chat with every tool_choice,
     * streaming deltas and usage, the parse/stream/runTools helpers, files, jobs, error classes, 429 with
     * Retry-After); any discrepancy fails with the scripts' output. A tenant of its own, and a second key whose rate
     * the last check uses up.
     */
    @Test
    @Order(2)
    void thePythonAndNodeOpenAiSdksGetWhatTheyExpect() throws Exception {
        String tenant = "sdk-" + UUID.randomUUID().toString().substring(0, 8);
        String key = script(Duration.ofMinutes(1), "scripts/admin.sh", "create-key", "--tenant", tenant).strip();
        String rateKey = script(Duration.ofMinutes(1), "scripts/admin.sh", "create-key", "--tenant", tenant).strip();
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("e2e-tests/sdk-compat/run.sh").toString())
                .directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().putAll(Map.of("TOOLTUNE_GATEWAY_URL", gatewayUrl, "TOOLTUNE_API_KEY", key,
                "TOOLTUNE_RATE_KEY", rateKey, "TOOLTUNE_BASE_MODEL", BASE_MODEL));
        Process process = builder.start();
        process.getOutputStream().close();
        StringBuilder output = new StringBuilder();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            lines.lines().forEach(line -> {
                System.out.println("sdk-compat: " + line);
                output.append(line).append('\n');
            });
        }
        if (!process.waitFor(15, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("sdk-compat/run.sh did not finish in 15 minutes:\n" + output);
        }
        assertEquals(0, process.exitValue(), () -> "the OpenAI SDKs found discrepancies (FAIL lines):\n" + output);
    }

    private static ChatCompletionCreateParams chatParams(JsonNode example, String model) {
        ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model(model)
                .temperature(0.0).maxCompletionTokens(96L);
        for (JsonNode message : example.path("messages")) {
            if (message.path("role").asText().equals("assistant")) {
                break;
            }
            switch (message.path("role").asText()) {
                case "system" -> params.addSystemMessage(message.path("content").asText());
                case "user" -> params.addUserMessage(message.path("content").asText());
                default -> throw new IllegalStateException("unexpected role before the first answer: " + message);
            }
        }
        for (JsonNode tool : example.path("tools")) {
            JsonNode function = tool.path("function");
            FunctionParameters.Builder parameters = FunctionParameters.builder();
            for (Iterator<Map.Entry<String, JsonNode>> it = function.path("parameters").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                parameters.putAdditionalProperty(field.getKey(), JsonValue.fromJsonNode(field.getValue()));
            }
            params.addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                    .name(function.path("name").asText()).description(function.path("description").asText())
                    .parameters(parameters.build()).build()).build());
        }
        return params.build();
    }

    private static ChatCompletionMessageFunctionToolCall firstToolCall(ChatCompletion answer) {
        List<ChatCompletionMessageToolCall> calls = answer.choices().get(0).message().toolCalls().orElse(List.of());
        assertFalse(calls.isEmpty(), "a tool call: " + answer);
        return calls.get(0).asFunction();
    }

    /** The sample's shortest lines (by characters) that contain a tool call, in file order. */
    private static List<String> shortestToolCallingLines(int count) throws IOException {
        List<String> lines = Files.readAllLines(SAMPLE, StandardCharsets.UTF_8);
        return IntStream.range(0, lines.size()).filter(i -> lines.get(i).contains("\"tool_calls\"")).boxed()
                .sorted(Comparator.comparingInt((Integer i) -> lines.get(i).length()).thenComparing(i -> i))
                .limit(count).sorted().map(lines::get).collect(Collectors.toList());
    }

    /** Runs one of the project's scripts with the stack's settings; its stderr goes to the test output. */
    private static String script(Duration timeout, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.command().set(0, ROOT.resolve(command[0]).toString());
        builder.environment().putAll(stackEnv);
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroy();
            fail(String.join(" ", command) + " did not finish in " + timeout);
        }
        String stdout = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> String.join(" ", command) + " failed: " + stdout);
        return stdout;
    }
}
