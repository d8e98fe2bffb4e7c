package dev.tooltune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.JobCreateParams;
import com.openai.models.finetuning.methods.SupervisedHyperparameters;
import com.openai.models.finetuning.methods.SupervisedMethod;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.JobQueued;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.events.JobSucceeded;
import dev.tooltune.contracts.events.JobValidating;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.gateway.tenancy.ApiKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The gateway's public API driven with the official OpenAI Java SDK (only its base URL changed), against a real
 * PostgreSQL, a real Kafka broker (this run's topics), dataset-service as a real process, and a small real HTTP
 * server in inference-service's place ({@link FakeInference}).
 */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestEnvironment.class, restrictToAnnotatedClass = true)
class GatewayApiTest {
    private static final String BASE_MODEL = "tooltune/gemma-3-tiny-random";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/")
    URL root;
    @Inject
    ApiKeys apiKeys;

    // ---- keys, errors, limits -------------------------------------------------------------------------------------

    @Test
    void adminScriptCreatesKeysThatWorkUntilRevoked() throws Exception {
        String tenant = "admin-" + shortId();
        Map<String, String> env = Map.of("QUARKUS_DATASOURCE_JDBC_URL", GatewayTestEnvironment.jdbcUrl);
        String key = run(env, "create-key", "--tenant", tenant).trim();
        assertTrue(key.matches("tt-[A-Za-z0-9_-]{43}"), "the key alone on stdout, was: " + key);

        assertEquals(BASE_MODEL, client(key).models().list().data().get(0).id());

        String listed = run(env, "list-keys", "--tenant", tenant);
        String keyId = listed.lines().map(String::trim).filter(line -> line.startsWith("key_"))
                .map(line -> line.split("\\s*\\|\\s*")[0]).findFirst().orElseThrow();
        assertTrue(listed.contains(key.substring(0, 10)), listed);
        assertFalse(listed.contains(key), "list-keys must never show a whole key");
        try (Connection db = TestDatabases.connect(GatewayTestEnvironment.jdbcUrl);
             PreparedStatement query = db.prepareStatement("select key_hash from api_key where id = ?")) {
            query.setString(1, keyId);
            try (ResultSet rs = query.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(ApiKeys.hash(key), rs.getString(1), "stored as the SHA-256 of the key, never the key");
            }
        }

        assertTrue(run(env, "revoke-key", keyId).contains("revoked " + keyId));
        UnauthorizedException revoked = assertThrows(UnauthorizedException.class, () -> client(key).models().list());
        assertEquals("invalid_api_key", revoked.code().orElseThrow());
    }

    @Test
    void missingBadKeysAndBadRequestsGetOpenAiErrors() throws Exception {
        HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(uri("v1/files")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(none, 401, "invalid_request_error", "missing_api_key");

        HttpResponse<String> wrong = HTTP.send(HttpRequest.newBuilder(uri("v1/files"))
                .header("Authorization", "Bearer tt-not-a-real-key").build(), HttpResponse.BodyHandlers.ofString());
        assertError(wrong, 401, "invalid_request_error", "invalid_api_key");
        assertFalse(wrong.body().contains("tt-not-a-real-key"), "the key sent is not echoed whole");

        String key = newKey("errors");
        HttpResponse<String> badJson = HTTP.send(HttpRequest.newBuilder(uri("v1/fine_tuning/jobs"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": ")).build(), HttpResponse.BodyHandlers.ofString());
        assertError(badJson, 400, "invalid_request_error", "invalid_json");

        HttpResponse<String> unknown = HTTP.send(HttpRequest.newBuilder(uri("v1/no-such-thing"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertError(unknown, 404, "invalid_request_error", "unknown_url");

        BadRequestException missingModel = assertThrows(BadRequestException.class, () -> client(key).fineTuning()
                .jobs().create(JobCreateParams.builder().model("no-such-model").trainingFile("file-x").build()));
        assertEquals("model", missingModel.param().orElseThrow());
        assertEquals("model_not_available", missingModel.code().orElseThrow());

        String tooBig = "{\"model\":\"" + BASE_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(4_300_000) + "\"}]}";
        HttpResponse<String> large = HTTP.send(HttpRequest.newBuilder(uri("v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(tooBig)).build(), HttpResponse.BodyHandlers.ofString());
        assertError(large, 413, "invalid_request_error", "request_too_large");
    }

    /**
     * Every operation of the OpenAPI document under /v1 (the SSE streams and the chat proxy among them), and /v1
     * paths no resource serves, refuse a request without a key, with a key in another scheme, and with a wrong or
     * malformed key, with OpenAI's 401 body: catches an endpoint left public and a wrong key answered 200.
     */
    @Test
    void everyApiOperationRefusesAMissingOrWrongKey() throws Exception {
        JsonNode paths = JSON.readTree(HTTP.send(HttpRequest.newBuilder(uri("q/openapi?format=json")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("paths");
        List<String> checked = new java.util.ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            if (!path.getKey().startsWith("/v1")) {
                continue;
            }
            String concrete = path.getKey().replaceAll("\\{[^}]+}", "x1").substring(1);
            for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
                String method = methods.next().toUpperCase();
                assertRefused(method, concrete);
                checked.add(method + " " + path.getKey());
            }
        }
        assertTrue(checked.contains("POST /v1/chat/completions") && checked.contains("GET /v1/fine_tuning/jobs/{jobId}/events")
                && checked.contains("POST /v1/files") && checked.size() >= 15, "the OpenAPI document lists the API: " + checked);
        assertRefused("GET", "v1/fine_tuning/jobs/x1/events?stream=true");
        assertRefused("GET", "v1");
        assertRefused("GET", "v1/no-such-thing");
        assertRefused("POST", "v1/no-such-thing");
    }

    private void assertRefused(String method, String path) throws IOException, InterruptedException {
        String[][] cases = {{null, "missing_api_key"}, {"Basic dXNlcjpwYXNz", "missing_api_key"},
                {"Bearer", "missing_api_key"}, {"Bearer tt-not-a-real-key", "invalid_api_key"}, {"Bearer x", "invalid_api_key"},
                {"bearer " + ApiKeys.PREFIX + "x".repeat(43), "invalid_api_key"}};
        for (String[] c : cases) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString("{}"));
            if (c[0] != null) {
                request.header("Authorization", c[0]);
            }
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, response.statusCode(), method + " " + path + " with " + c[0] + ": " + response.body());
            assertError(response, 401, "invalid_request_error", c[1]);
        }
    }

    /** The console, its assets and the probes stay public, and a stale key sent to them is not looked at. */
    @Test
    void theConsoleAndProbesArePublic() throws Exception {
        for (String path : new String[] {"", "index.html", "q/health/live", "q/health/ready", "q/openapi"}) {
            for (String authorization : new String[] {null, "Bearer tt-stale-key"}) {
                HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
                if (authorization != null) {
                    request.header("Authorization", authorization);
                }
                int status = HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                assertTrue(status != 401 && status != 403, "/" + path + " answered " + status);
                if (path.startsWith("q/")) {
                    assertEquals(200, status, "/" + path);
                }
            }
        }
    }

    /**
     * The training claims API (trainer-service's) takes the internal token and nothing else, and /v1 takes an API key
     * and nothing else: catches the claims left open, a wrong token let through, and the two mechanisms mixed up (an
     * API key passing /internal, the internal token passing /v1, or either path answering the other's 401 body).
     */
    @Test
    void theTrainingClaimsApiTakesTheInternalTokenOnly() throws Exception {
        String path = "internal/training-claims/claims-auth-" + shortId();
        String claim = "{\"owner\": \"w1\", \"ttlMillis\": 60000}";
        String key = newKey("claims");
        String[][] refused = {{}, {"X-Tooltune-Internal-Token", "guess"}, {"X-Tooltune-Internal-Token", ""},
                {"X-Tooltune-Internal-Token", GatewayTestEnvironment.INTERNAL_TOKEN + "x"}, {"Authorization", "Bearer " + key}};
        for (String[] header : refused) {
            for (HttpRequest.Builder request : List.of(
                    HttpRequest.newBuilder(uri(path)).PUT(HttpRequest.BodyPublishers.ofString(claim)),
                    HttpRequest.newBuilder(uri(path + "?owner=w1")).DELETE())) {
                request.header("Content-Type", "application/json");
                if (header.length > 0) {
                    request.header(header[0], header[1]);
                }
                HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
                String what = request.build().method() + " with " + String.join(": ", header);
                assertEquals(401, response.statusCode(), what + ": " + response.body());
                assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), what);
                assertTrue(JSON.readTree(response.body()).path("error").asText().contains("X-Tooltune-Internal-Token"),
                        what + ": " + response.body());
            }
        }
        HttpResponse<String> granted = HTTP.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("X-Tooltune-Internal-Token", GatewayTestEnvironment.INTERNAL_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString(claim)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, granted.statusCode(), granted.body());
        assertEquals("w1", JSON.readTree(granted.body()).path("owner").asText(), granted.body());
        assertEquals(204, HTTP.send(HttpRequest.newBuilder(uri(path + "?owner=w1")).DELETE()
                .header("X-Tooltune-Internal-Token", GatewayTestEnvironment.INTERNAL_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        // the internal token is no API key
        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(uri("v1/models"))
                .header("X-Tooltune-Internal-Token", GatewayTestEnvironment.INTERNAL_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(models, 401, "invalid_request_error", "missing_api_key");
    }

    @Test
    void aKeyOverItsRateGets429WithRetryAfter() throws Exception {
        String key = newKey("rate");
        HttpResponse<String> limited = null;
        for (int i = 0; i < 200 && limited == null; i++) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("v1/files"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 429) {
                limited = response;
            } else {
                assertEquals(200, response.statusCode(), response.body());
            }
        }
        assertNotNull(limited, "200 requests at once never hit a bucket of 40");
        assertError(limited, 429, "requests", "rate_limit_exceeded");
        assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        // another key is not limited by this one
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(uri("v1/files")).header("Authorization", "Bearer "
                + newKey("rate")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    // ---- files ----------------------------------------------------------------------------------------------------

    @Test
    void filesAreUploadedListedReadAndDeleted() throws Exception {
        OpenAIClient client = client(newKey("files"));
        FileObject file = upload(client, sampleLines(5));
        assertTrue(file.id().startsWith("file-"));
        assertEquals("fine-tune", file.purpose().toString());
        assertEquals(file.id(), client.files().retrieve(file.id()).id());
        assertTrue(client.files().list().data().stream().anyMatch(f -> f.id().equals(file.id())));
        try (InputStream content = client.files().content(file.id()).body()) {
            String text = new String(content.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(5, text.lines().count(), text);
            assertTrue(text.contains("search_businesses"), text);
        }
        assertTrue(client.files().delete(file.id()).deleted());
        assertThrows(NotFoundException.class, () -> client.files().retrieve(file.id()));
    }

    @Test
    void aBadTrainingFileIsRejectedWithLineAndReason() throws Exception {
        OpenAIClient client = client(newKey("badfile"));
        List<String> lines = sampleLines(3);
        String bad = lines.get(0) + "\n{\"messages\": [\n" + lines.get(2).replaceFirst(
                "\"function\":\\{\"name\":\"[A-Za-z0-9_-]+\",\"arguments\"",
                "\"function\":{\"name\":\"no_such_tool\",\"arguments\"") + "\n";
        BadRequestException rejected = assertThrows(BadRequestException.class, () -> upload(client, bad));
        assertEquals("invalid_file_format", rejected.code().orElseThrow());
        assertEquals("file", rejected.param().orElseThrow());
        String message = rejected.getMessage();
        assertTrue(message.contains("Line 2"), message);
        assertTrue(message.contains("Line 3"), message);
        assertTrue(message.contains("no_such_tool"), message);
        assertTrue(client.files().list().data().isEmpty(), "a rejected file is not stored");
    }

    @Test
    void aRefusedFileLinksItsWholeImportReport() throws Exception {
        String key = newKey("report");
        OpenAIClient client = client(key);
        StringBuilder bad = new StringBuilder(sampleLines(1).get(0)).append('\n');
        for (int i = 0; i < 8; i++) {
            bad.append("{\"messages\": [\n"); // lines 2..9: not JSON
        }
        BadRequestException rejected = assertThrows(BadRequestException.class, () -> upload(client, bad.toString()));
        String message = rejected.getMessage();
        assertTrue(message.contains("8 problems") && message.contains("and 3 more"), message);
        java.util.regex.Matcher link = java.util.regex.Pattern.compile("GET /v1/(files/import_reports/filerep-[0-9a-f]+)")
                .matcher(message);
        assertTrue(link.find(), "no link to the full report: " + message);
        HttpResponse<String> report = HTTP.send(HttpRequest.newBuilder(uri("v1/" + link.group(1)))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, report.statusCode(), report.body());
        JsonNode body = JSON.readTree(report.body());
        assertEquals(8, body.path("problem_count").asInt(), report.body());
        assertEquals(8, body.path("problems").size(), report.body());
        assertEquals(9, body.path("problems").get(7).path("line").asInt(), report.body());
        // another tenant cannot read it
        HttpResponse<String> foreign = HTTP.send(HttpRequest.newBuilder(uri("v1/" + link.group(1)))
                .header("Authorization", "Bearer " + newKey("report-other")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, foreign.statusCode(), foreign.body());
    }

    // ---- jobs -----------------------------------------------------------------------------------------------------

    @Test
    void creatingAJobSendsOneCompleteTrainingJobsRecord() throws Exception {
        String key = newKey("jobs");
        OpenAIClient client = client(key);
        FileObject file = upload(client, sampleLines(4));
        FineTuningJob job = client.fineTuning().jobs().create(jobParams(file.id(), "support-bot")
                .putAdditionalBodyProperty("tooltune", JsonValue.from(Map.of("method", "qlora",
                        "max_length", 1024, "lora", Map.of("rank", 8, "target_modules", List.of("q_proj", "v_proj")))))
                .build());
        assertEquals(FineTuningJob.Status.VALIDATING_FILES, job.status());

        List<ConsumerRecord<String, byte[]>> records = awaitRecords(GatewayTestEnvironment.topics.trainingJobs(),
                job.id(), 1);
        assertEquals(1, records.size());
        TrainingJob sent = (TrainingJob) MessageCodec.TRAINING_JOBS.decode(records.get(0).value());
        assertEquals(tenantOf(key), sent.tenantId());
        assertEquals(BASE_MODEL, sent.baseModel().id());
        assertEquals(TrainingMethod.QLORA, sent.method());
        assertEquals(2, sent.hyperparameters().epochs());
        assertEquals(2, sent.hyperparameters().batchSize());
        assertEquals(2e-4 * 0.5, sent.hyperparameters().learningRate(), 1e-12);
        assertEquals(1024, sent.hyperparameters().maxLength());
        assertEquals(8, sent.lora().rank());
        assertEquals(List.of("q_proj", "v_proj"), sent.lora().targetModules());
        assertEquals(7L, sent.seed());
        assertEquals("support-bot", sent.adapterName());
        assertNotNull(sent.trainingData().datasetId());
        assertEquals(1, sent.trainingData().version());

        BadRequestException unknownExtension = assertThrows(BadRequestException.class, () -> client.fineTuning()
                .jobs().create(jobParams(file.id(), null).putAdditionalBodyProperty("tooltune",
                        JsonValue.from(Map.of("rnak", 8))).build()));
        assertEquals("tooltune.rnak", unknownExtension.param().orElseThrow());
        BadRequestException badRank = assertThrows(BadRequestException.class, () -> client.fineTuning()
                .jobs().create(jobParams(file.id(), null).putAdditionalBodyProperty("tooltune",
                        JsonValue.from(Map.of("lora", Map.of("rank", 0)))).build()));
        assertTrue(badRank.getMessage().contains("lora.rank"), badRank.getMessage());
    }

    @Test
    void eventsDriveTheJobAndAdaptersDriveTheModels() throws Exception {
        String key = newKey("events");
        String tenant = tenantOf(key);
        OpenAIClient client = client(key);
        FileObject file = upload(client, sampleLines(4));
        FineTuningJob job = client.fineTuning().jobs().create(jobParams(file.id(), "agent").build());

        sendEvent(new JobValidating("ev-" + shortId(), job.id(), tenant, Instant.now(), null));
        sendEvent(new JobQueued("ev-" + shortId(), job.id(), tenant, Instant.now(), null));
        JobRunning running = new JobRunning("ev-" + shortId(), job.id(), tenant, Instant.now(), 5L, 10L, 1.0, 0.75,
                null, 1e-4, 1200.0, 30L);
        sendEvent(running);
        sendEvent(running); // a redelivered copy changes nothing
        await(() -> client.fineTuning().jobs().retrieve(job.id()).status().equals(FineTuningJob.Status.RUNNING),
                "job running");
        assertTrue(client.fineTuning().jobs().retrieve(job.id()).estimatedFinish().isPresent());

        String adapterId = "ad-" + shortId();
        sendAdapter(adapterId, "agent", tenant, job.id());
        sendEvent(new JobSucceeded("ev-" + shortId(), job.id(), tenant, Instant.now(), adapterId, "agent", 1, 4096L,
                Map.of("eval_loss_before", 2.5, "eval_loss_after", 0.5)));
        await(() -> client.fineTuning().jobs().retrieve(job.id()).status().equals(FineTuningJob.Status.SUCCEEDED),
                "job succeeded");
        FineTuningJob done = client.fineTuning().jobs().retrieve(job.id());
        String model = "ft:" + BASE_MODEL + ":" + tenant + ":agent:" + job.id();
        assertEquals(model, done.fineTunedModel().orElseThrow());
        assertEquals(4096L, done.trainedTokens().orElseThrow());

        List<String> messages = client.fineTuning().jobs().listEvents(job.id()).data().stream()
                .map(e -> e.message()).toList();
        assertEquals(1, messages.stream().filter(m -> m.startsWith("Step 5/10")).count(), messages.toString());
        assertTrue(messages.get(0).startsWith("New fine-tuned model created"), "newest first: " + messages);
        assertEquals(model, client.fineTuning().jobs().checkpoints().list(job.id()).data().get(0)
                .fineTunedModelCheckpoint());

        // The trainer's evaluation before and after training is the succeeded event's data (the console's
        // before/after table); only progress events are of type "metrics", so progress bars never read it as a step.
        JsonNode events = JSON.readTree(HTTP.send(HttpRequest.newBuilder(uri("v1/fine_tuning/jobs/" + job.id()
                + "/events")).header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
        JsonNode completed = null;
        for (JsonNode event : events.path("data")) {
            if (event.path("message").asText().startsWith("The job has successfully completed")) {
                completed = event;
            } else if (event.path("message").asText().startsWith("Step 5/10")) {
                assertEquals("metrics", event.path("type").asText(), event.toString());
            }
        }
        assertNotNull(completed, events.toString());
        assertEquals("message", completed.path("type").asText(), completed.toString());
        assertEquals(0.5, completed.path("data").path("eval_loss_after").asDouble(), 1e-9, completed.toString());
        assertEquals(2.5, completed.path("data").path("eval_loss_before").asDouble(), 1e-9, completed.toString());

        HttpResponse<String> stream = HTTP.send(HttpRequest.newBuilder(uri("v1/fine_tuning/jobs/" + job.id()
                        + "/events?stream=true")).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElseThrow().split(";")[0]);
        assertTrue(stream.body().contains("Step 5/10"), stream.body());
        // Every event, oldest first (as the paged list has them newest first), then [DONE] last.
        List<String> streamed = sseData(stream.body());
        assertEquals("[DONE]", streamed.get(streamed.size() - 1), stream.body());
        List<String> streamedIds = new java.util.ArrayList<>();
        for (String data : streamed.subList(0, streamed.size() - 1)) {
            JsonNode event = JSON.readTree(data);
            assertEquals("fine_tuning.job.event", event.path("object").asText(), data);
            streamedIds.add(event.path("id").asText());
        }
        List<String> listedIds = new java.util.ArrayList<>(client.fineTuning().jobs().listEvents(job.id()).data()
                .stream().map(e -> e.id()).toList());
        java.util.Collections.reverse(listedIds);
        assertEquals(listedIds, streamedIds);

        await(() -> client.models().list().data().stream().anyMatch(m -> m.id().equals(model)), "model listed");
        ChatCompletion answer = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(model).addUserMessage("Weather in Vienna?").build());
        FakeInference inference = GatewayTestEnvironment.inference;
        assertEquals(adapterId, inference.lastBody.path("model").asText(), "forwarded as the adapterId");
        assertEquals(tenant, inference.lastTenant);
        assertEquals(GatewayTestEnvironment.INTERNAL_TOKEN, inference.lastToken);
        assertEquals(model, answer.model(), "the answer names the model the caller used");
        assertEquals("get_weather", answer.choices().get(0).message().toolCalls().orElseThrow().get(0)
                .asFunction().function().name());

        TestKafka.send(GatewayTestEnvironment.topics.adapters(), adapterId, null); // a tombstone deletes it
        await(() -> client.models().list().data().stream().noneMatch(m -> m.id().equals(model)), "model gone");
        assertThrows(NotFoundException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model(model).addUserMessage("hi").build()));
    }

    @Test
    void cancelIsRecordedAndBroadcast() throws Exception {
        String key = newKey("cancel");
        OpenAIClient client = client(key);
        FineTuningJob job = client.fineTuning().jobs().create(jobParams(upload(client, sampleLines(2)).id(), null)
                .build());
        FineTuningJob cancelled = client.fineTuning().jobs().cancel(job.id());
        assertEquals(FineTuningJob.Status.CANCELLED, cancelled.status());
        assertEquals(FineTuningJob.Status.CANCELLED, client.fineTuning().jobs().retrieve(job.id()).status());
        List<ConsumerRecord<String, byte[]>> cancels = awaitRecords(GatewayTestEnvironment.topics.trainingCancels(),
                job.id(), 1);
        JobCommand command = MessageCodec.TRAINING_CANCELS.decode(cancels.get(0).value());
        assertTrue(command instanceof CancelTrainingJob cancel && cancel.tenantId().equals(tenantOf(key)));
        assertTrue(client.fineTuning().jobs().listEvents(job.id()).data().stream()
                .anyMatch(e -> e.message().contains("cancellation requested")));
        BadRequestException again = assertThrows(BadRequestException.class,
                () -> client.fineTuning().jobs().cancel(job.id()));
        assertEquals("job_not_cancellable", again.code().orElseThrow());
    }

    // ---- isolation ------------------------------------------------------------------------------------------------

    @Test
    void noTenantReachesAnotherTenantsFilesJobsOrModels() throws Exception {
        String ownerKey = newKey("owner");
        String owner = tenantOf(ownerKey);
        OpenAIClient alice = client(ownerKey);
        String otherKey = newKey("other");
        OpenAIClient mallory = client(otherKey);

        FileObject file = upload(alice, sampleLines(3));
        FineTuningJob job = alice.fineTuning().jobs().create(jobParams(file.id(), "private").build());
        FineTuningJob running = alice.fineTuning().jobs().create(jobParams(file.id(), "still-running").build());
        String adapterId = "ad-" + shortId();
        sendAdapter(adapterId, "private", owner, job.id());
        sendEvent(new JobSucceeded("ev-" + shortId(), job.id(), owner, Instant.now(), adapterId, "private", 1, null));
        await(() -> alice.fineTuning().jobs().retrieve(job.id()).fineTunedModel().isPresent(), "job succeeded");
        String model = alice.fineTuning().jobs().retrieve(job.id()).fineTunedModel().orElseThrow();
        await(() -> alice.models().list().data().stream().anyMatch(m -> m.id().equals(model)), "model listed");

        // list
        assertFalse(mallory.files().list().data().stream().anyMatch(f -> f.id().equals(file.id())));
        assertFalse(mallory.fineTuning().jobs().list().data().stream().anyMatch(j -> j.id().equals(job.id())));
        assertFalse(mallory.models().list().data().stream().anyMatch(m -> m.id().equals(model)));
        // read
        assert404(() -> mallory.files().retrieve(file.id()));
        assert404(() -> mallory.files().content(file.id()));
        assert404(() -> mallory.fineTuning().jobs().retrieve(job.id()));
        assert404(() -> mallory.fineTuning().jobs().listEvents(job.id()));
        assert404(() -> mallory.fineTuning().jobs().checkpoints().list(job.id()));
        assert404(() -> mallory.models().retrieve(model));
        // use: as a training file, and as a model by its public name or its adapter id
        // as OpenAI answers an unknown training_file: 400 on the parameter (BadRequestError), the same as for a
        // file that does not exist
        for (String fileId : List.of(file.id(), "file-" + shortId())) {
            BadRequestException refused = assertThrows(BadRequestException.class,
                    () -> mallory.fineTuning().jobs().create(jobParams(fileId, null).build()));
            assertEquals("training_file", refused.param().orElseThrow(), refused.getMessage());
            assertTrue(refused.getMessage().contains("invalid training_file: " + fileId + " (no such File object)."),
                    refused.getMessage());
        }
        assert404(() -> mallory.chat().completions().create(ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("hi").build()));
        assert404(() -> mallory.chat().completions().create(ChatCompletionCreateParams.builder().model(adapterId)
                .addUserMessage("hi").build()));
        assert404(() -> mallory.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(owner + "/private").addUserMessage("hi").build()));
        // cancel, delete
        assert404(() -> mallory.fineTuning().jobs().cancel(running.id()));
        assert404(() -> mallory.files().delete(file.id()));
        assert404(() -> mallory.models().delete(model));

        // ToolTune's dataset API under /v1/datasets: the file's dataset is the owner's alone
        JsonNode ownDatasets = JSON.readTree(get(ownerKey, "v1/datasets").body());
        String datasetId = ownDatasets.findParents("name").stream()
                .filter(d -> file.id().equals(d.path("name").asText())).map(d -> d.path("id").asText())
                .findFirst().orElseThrow(() -> new AssertionError("no dataset for " + file.id() + ": " + ownDatasets));
        assertEquals(200, get(ownerKey, "v1/datasets/" + datasetId + "/versions/1").statusCode());
        assertFalse(get(otherKey, "v1/datasets").body().contains(file.id()));
        assertEquals(404, get(otherKey, "v1/datasets/" + datasetId).statusCode());
        assertEquals(404, get(otherKey, "v1/datasets/" + datasetId + "/versions/1/export").statusCode());

        // the owner still has everything, untouched
        assertEquals(file.id(), alice.files().retrieve(file.id()).id());
        assertEquals(FineTuningJob.Status.VALIDATING_FILES, alice.fineTuning().jobs().retrieve(running.id()).status());
        assertEquals(model, alice.models().retrieve(model).id());
        assertEquals(model, alice.chat().completions().create(ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("hi").build()).model());
    }

    /**
     * An open event stream must not hold a worker thread: with one thread per watcher, 200 watchers (the worker
     * pool's default size) left no thread for anything else, and this plain GET waited until the job finished.
     */
    @Test
    void manyWatchersOfAJobsEventsLeaveTheServerFreeToAnswer() throws Exception {
        String tenant = tenantOf(newKey("watchers"));
        // Several keys of one tenant: 200 streams from one key would meet the rate limit first.
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.add(apiKeys.create(tenant).key());
        }
        OpenAIClient client = client(keys.get(0));
        FineTuningJob job = client.fineTuning().jobs().create(jobParams(upload(client, sampleLines(2)).id(), null)
                .build());
        HttpClient watchersClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int watchers = 200;
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> streams = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        HttpResponse.BodyHandler<String> counted = info -> {
            open.incrementAndGet(); // the server answered with its headers: this stream is open
            return HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
        };
        try {
            for (int i = 0; i < watchers; i++) {
                streams.add(watchersClient.sendAsync(HttpRequest.newBuilder(uri("v1/fine_tuning/jobs/" + job.id()
                                + "/events?stream=true")).header("Authorization", "Bearer " + keys.get(i % keys.size()))
                        .build(), counted));
            }
            await(() -> open.get() >= watchers, watchers + " streams open");
            // While every watcher waits for the job's next event, the server still answers anything else.
            HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(uri("v1/fine_tuning/jobs/" + job.id()))
                    .header("Authorization", "Bearer " + keys.get(0)).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, plain.statusCode(), plain.body());
        } finally {
            // Ends every stream (also on a server that failed above: its watchers see the job finished).
            jobSql("update fine_tuning_job set status = 'cancelled', finished_at = now() where id = ?", job.id());
        }
        for (var stream : streams) {
            HttpResponse<String> events = stream.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, events.statusCode(), events.body());
            assertTrue(events.body().contains("Created fine-tuning job: " + job.id()), events.body());
            List<String> data = sseData(events.body());
            assertEquals("[DONE]", data.get(data.size() - 1), events.body());
        }
    }

    /** The data of each event of a Server-Sent Events body, as the SSE specification reads it. */
    private static List<String> sseData(String body) {
        List<String> data = new java.util.ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                data.add(value.startsWith(" ") ? value.substring(1) : value);
            }
        }
        return data;
    }

    /**
     * The outbox relay marks a row sent only on the broker's acknowledgement: a record for a topic the broker does not
     * have (it creates none by itself) is refused after the producer's max.block.ms, and its row stays unsent; once
     * the topic exists, a later round sends it. A relay that marked rows sent on the send alone loses this record.
     */
    @Test
    void anOutboxRowIsMarkedSentOnlyWhenTheBrokerAcknowledgedItsRecord() throws Exception {
        String topic = "outbox-ack-" + shortId();
        String key = "ftjob-ack" + shortId();
        long row;
        try (Connection c = TestDatabases.connect(GatewayTestEnvironment.jdbcUrl);
             PreparedStatement s = c.prepareStatement("insert into outbox_message (topic, record_key, payload) "
                     + "values (?, ?, ?) returning id")) {
            s.setString(1, topic);
            s.setString(2, key);
            s.setString(3, "{\"ack\":true}");
            ResultSet inserted = s.executeQuery();
            assertTrue(inserted.next());
            row = inserted.getLong(1);
        }
        // The relay tries it every poll-interval; each try is refused after max.block.ms (2 s in these tests).
        sleep(6_000);
        assertFalse(outboxRowSent(row), "row marked sent although the broker never took its record");
        TestKafka.createTopic(topic);
        await(() -> outboxRowSent(row), "row sent once the topic exists");
        List<ConsumerRecord<String, byte[]>> records = awaitRecords(topic, key, 1);
        assertEquals("{\"ack\":true}", new String(records.get(0).value(), StandardCharsets.UTF_8));
    }

    private static boolean outboxRowSent(long id) {
        try (Connection c = TestDatabases.connect(GatewayTestEnvironment.jdbcUrl);
             PreparedStatement s = c.prepareStatement("select sent_at is not null from outbox_message where id = ?")) {
            s.setLong(1, id);
            ResultSet result = s.executeQuery();
            assertTrue(result.next());
            return result.getBoolean(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * /v1/datasets/** is dataset-service's API as it is: method, query and body (an import's JSONL, streamed) go up,
     * the answer's status, body and Location (rewritten under /v1) come back.
     */
    @Test
    void theDatasetApiPassesBodiesQueriesAndLocationsThrough() throws Exception {
        String key = newKey("proxy");
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(uri("v1/datasets"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"proxied\",\"description\":\"through\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        String datasetId = JSON.readTree(created.body()).path("id").asText();
        assertEquals("/v1/datasets/" + datasetId, created.headers().firstValue("Location").orElseThrow());
        String lines = String.join("\n", sampleLines(3)) + "\n";

        HttpResponse<String> imported = HTTP.send(HttpRequest.newBuilder(uri("v1/datasets/" + datasetId
                        + "/imports?mode=lenient&wait=true")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(lines))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, imported.statusCode(), imported.body());
        assertEquals(3, JSON.readTree(imported.body()).path("examplesStored").asInt(), imported.body());

        HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(uri("v1/datasets/" + datasetId
                        + "/imports?mode=lenient&append=true")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(lines))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, started.statusCode(), started.body());
        String location = started.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith("/v1/dataset-imports/"), location);
        await(() -> {
            try {
                return get(key, location.substring(1)).body().contains("SUCCEEDED");
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "import done");

        HttpResponse<String> missing = get(key, "v1/datasets/" + datasetId + "/versions/99");
        assertEquals(404, missing.statusCode(), missing.body());
        HttpResponse<String> export = get(key, "v1/datasets/" + datasetId + "/versions/1/export");
        assertEquals(200, export.statusCode(), export.body());
        assertEquals(3, export.body().strip().split("\n").length, export.body());
    }

    // ---- chat -----------------------------------------------------------------------------------------------------

    @Test
    void aStreamedChatIsPassedThroughAsItArrives() throws Exception {
        OpenAIClient client = client(newKey("stream"));
        FakeInference inference = GatewayTestEnvironment.inference;
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model(BASE_MODEL).addUserMessage("Say hello").build())) {
            Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
            // The upstream holds back its second chunk until this first one has reached us through the gateway.
            ChatCompletionChunk first = chunks.next();
            text.append(first.choices().get(0).delta().content().orElse(""));
            inference.releaseStream();
            chunks.forEachRemaining(chunk -> text.append(chunk.choices().get(0).delta().content().orElse("")));
        }
        assertFalse(inference.streamTimedOut, "the first chunk only arrived after the upstream gave up waiting: "
                + "the gateway buffered the stream");
        assertEquals("Hello", text.toString());
        assertEquals(BASE_MODEL, inference.lastBody.path("model").asText());
    }

    @Test
    void aStreamCutByTheUpstreamEndsWithAnErrorEventNotSilently() throws Exception {
        String key = newKey("cut");
        FakeInference inference = GatewayTestEnvironment.inference;
        inference.dieMidStream = true;
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + BASE_MODEL + "\",\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        // Seen on the stack (kill -9 of inference-service mid-stream, scripts/fault/suite.sh): the client got the
        // first events and then a dropped connection, with nothing saying why. OpenAI's clients raise an error event.
        String body = response.body();
        assertEquals(200, response.statusCode());
        assertTrue(body.contains("\"Hel\""), body);
        String last = body.strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("data: {\"error\":"), body);
        JsonNode error = new ObjectMapper().readTree(last.substring(5)).path("error");
        assertEquals("upstream_error", error.path("code").asText(), last);
        assertTrue(error.path("message").asText().contains("inference-service"), last);
        assertEquals(200, get(key, "v1/models").statusCode());
    }

    @Test
    void aBusyInferenceServicesRetryAfterReachesTheClient() throws Exception {
        String key = newKey("busy");
        GatewayTestEnvironment.inference.busyOnce = true;
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + BASE_MODEL + "\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        // Seen in the load run (scripts/fault/suite.sh load): 100 429s reached the client without Retry-After, so
        // an OpenAI client backs off blind.
        assertEquals(429, response.statusCode(), response.body());
        assertEquals("7", response.headers().firstValue("Retry-After").orElse(null), "Retry-After was dropped");
        assertEquals("queue_full", new ObjectMapper().readTree(response.body()).path("error").path("code").asText());
    }

    @Test
    void whileTheDatabaseIsAwayRequestsGetAClear503AndAfterItReturnsNothingFails() throws Exception {
        String key = newKey("pg");
        assertEquals(200, get(key, "v1/files").statusCode());
        assertEquals(200, get(key, "v1/fine_tuning/jobs").statusCode());
        GatewayTestEnvironment.database.cut();
        try {
            // Seen on the stack (scripts/fault/suite.sh pg-restart): a generic 500 "The server had an error".
            for (String path : List.of("v1/files", "v1/fine_tuning/jobs", "v1/models")) {
                HttpResponse<String> down = get(key, path);
                assertEquals(503, down.statusCode(), path + ": " + down.body());
                assertTrue(down.headers().firstValue("Retry-After").isPresent(), path + ": no Retry-After");
                JsonNode error = new ObjectMapper().readTree(down.body()).path("error");
                assertEquals("database_unavailable", error.path("code").asText(), down.body());
            }
            HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(uri("q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, ready.statusCode(), ready.body());
        } finally {
            GatewayTestEnvironment.database.restore();
        }
        // The pool's connections all died with the link: none of them may surface as an error afterwards.
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> back = get(key, i % 2 == 0 ? "v1/files" : "v1/fine_tuning/jobs");
            assertEquals(200, back.statusCode(), "request " + i + " after the database came back: " + back.body());
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder().apiKey(key).baseUrl(root.toString() + "v1").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    private String newKey(String tenantPrefix) {
        return apiKeys.create(tenantPrefix + "-" + shortId()).key();
    }

    private String tenantOf(String key) {
        return apiKeys.find(key).orElseThrow().tenantId;
    }

    private URI uri(String path) {
        return URI.create(root.toString() + path);
    }

    private HttpResponse<String> get(String key, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JobCreateParams.Builder jobParams(String fileId, String suffix) {
        JobCreateParams.Builder params = JobCreateParams.builder().model(BASE_MODEL).trainingFile(fileId).seed(7L)
                .method(JobCreateParams.Method.builder().type(JobCreateParams.Method.Type.SUPERVISED)
                        .supervised(SupervisedMethod.builder().hyperparameters(SupervisedHyperparameters.builder()
                                .nEpochs(2).batchSize(2).learningRateMultiplier(0.5).build()).build()).build());
        if (suffix != null) {
            params.suffix(suffix);
        }
        return params;
    }

    private static FileObject upload(OpenAIClient client, List<String> lines) throws IOException {
        return upload(client, String.join("\n", lines) + "\n");
    }

    private static FileObject upload(OpenAIClient client, String content) throws IOException {
        Path file = Files.createTempFile("gateway-test-", ".jsonl");
        try {
            Files.writeString(file, content);
            return client.files().create(FileCreateParams.builder().file(file).purpose(FilePurpose.FINE_TUNE)
                    .build());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static List<String> sampleLines(int n) throws IOException {
        try (var lines = Files.lines(GatewayTestEnvironment.repositoryRoot().toPath()
                .resolve("samples/tool-calling-sample.jsonl"))) {
            return lines.limit(n).collect(Collectors.toList());
        }
    }

    // ---- #21: state that heals (a silent job, an adapter inference-service lost) -----------------------------------

    @Test
    void aJobNoTrainerReportsOnIsQueuedAgainThenFailedWithTheReason() throws Exception {
        String key = newKey("silent");
        OpenAIClient client = client(key);
        FileObject file = upload(client, sampleLines(4));
        FineTuningJob job = client.fineTuning().jobs().create(jobParams(file.id(), "silent").build());
        String trainingJobs = GatewayTestEnvironment.topics.trainingJobs();
        assertEquals(1, awaitRecords(trainingJobs, job.id(), 1).size());

        // No trainer ever reports (the broker lost the record): an hour of silence, well past the 15 min deadline.
        jobSql("update fine_tuning_job set created_at = now() - interval '1 hour' where id = ?", job.id());
        await(() -> awaitRecords(trainingJobs, job.id(), 2).size() == 2, "queued again once");
        assertEquals(FineTuningJob.Status.QUEUED, client.fineTuning().jobs().retrieve(job.id()).status());
        List<ConsumerRecord<String, byte[]>> submits = awaitRecords(trainingJobs, job.id(), 2);
        assertEquals(MessageCodec.TRAINING_JOBS.decode(submits.get(0).value()),
                MessageCodec.TRAINING_JOBS.decode(submits.get(1).value()), "the same recipe, so a worker resumes it");

        jobSql("update fine_tuning_job set last_event_at = now() - interval '1 hour' where id = ?", job.id());
        await(() -> awaitRecords(trainingJobs, job.id(), 3).size() == 3, "queued again twice");
        jobSql("update fine_tuning_job set last_event_at = now() - interval '1 hour' where id = ?", job.id());
        await(() -> client.fineTuning().jobs().retrieve(job.id()).status().equals(FineTuningJob.Status.FAILED),
                "failed after the last re-queue");
        FineTuningJob failed = client.fineTuning().jobs().retrieve(job.id());
        assertEquals("no_heartbeat", failed.error().orElseThrow().code());
        assertTrue(failed.error().orElseThrow().message().contains("No trainer reported"), failed.toString());
        assertEquals(3, awaitRecords(trainingJobs, job.id(), 3).size(), "not queued a fourth time");
        assertEquals(1, awaitRecords(GatewayTestEnvironment.topics.trainingCancels(), job.id(), 1).size(),
                "a worker alive but cut off is told to stop");
        List<String> messages = client.fineTuning().jobs().listEvents(job.id()).data().stream()
                .map(e -> e.message()).toList();
        assertEquals(2, messages.stream().filter(m -> m.contains("queued again (")).count(), messages.toString());
    }

    @Test
    void aModelInferenceCannotServeIsNotListedAndItsErrorNamesThePublicModel() throws Exception {
        String key = newKey("lost");
        String tenant = tenantOf(key);
        OpenAIClient client = client(key);
        String jobId = "ftjob-lost" + shortId();
        String adapterId = "ad-" + shortId();
        String model = "ft:" + BASE_MODEL + ":" + tenant + ":lost:" + jobId;
        sendAdapter(adapterId, "lost", tenant, jobId);
        await(() -> client.models().list().data().stream().anyMatch(m -> m.id().equals(model)), "model listed");

        // Where inference-service holds the adapter is passed through, by the public name, in list and retrieve.
        FakeInference inference = GatewayTestEnvironment.inference;
        inference.adapterLoaded.put(adapterId, "host");
        assertEquals("host", loadedOf(key, model));
        inference.adapterLoaded.put(adapterId, "device");
        assertEquals("device", loadedOf(key, model));
        inference.adapterLoaded.remove(adapterId);
        assertEquals(null, loadedOf(key, model), "no extension when inference-service says nothing");
        inference.servedAdapters.remove(adapterId); // inference-service lost it (its topic record is gone)
        inference.lostAdapters.add(adapterId);
        assertTrue(client.models().list().data().stream().noneMatch(m -> m.id().equals(model)),
                "listed although inference-service cannot answer with it");
        HttpResponse<String> chat = HTTP.send(HttpRequest.newBuilder(uri("v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(chat, 404, "invalid_request_error", "model_not_found");
        assertFalse(chat.body().contains(adapterId), "the internal adapter id leaked: " + chat.body());
        assertTrue(chat.body().contains(model), chat.body());
    }

    /** {@code tooltune.loaded} of {@code model} in /v1/models (which must agree with /v1/models/{model}); null if absent. */
    private String loadedOf(String key, String model) throws Exception {
        JsonNode list = JSON.readTree(HTTP.send(HttpRequest.newBuilder(uri("v1/models"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
        JsonNode one = JSON.readTree(HTTP.send(HttpRequest.newBuilder(uri("v1/models/" + model))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
        for (JsonNode entry : list.path("data")) {
            if (entry.path("id").asText().equals(model)) {
                assertEquals(entry.path("tooltune"), one.path("tooltune"), "list and retrieve agree: " + one);
                assertFalse(entry.path("tooltune").isNull(), "absent, not null: " + entry);
                return entry.path("tooltune").has("loaded") ? entry.path("tooltune").path("loaded").asText() : null;
            }
        }
        throw new AssertionError(model + " not listed: " + list);
    }

    @Test
    void aJobOnABaseModelInferenceDoesNotServeIsRefusedWithTheServableBases() throws Exception {
        String key = newKey("bases");
        FileObject file = upload(client(key), sampleLines(2));
        // Configured for fine-tuning, but this deployment's inference-service serves only the tiny model.
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(uri("v1/fine_tuning/jobs"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"google/gemma-3-1b-it\",\"training_file\":\""
                        + file.id() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertError(refused, 400, "invalid_request_error", "model_not_available");
        assertEquals("model", JSON.readTree(refused.body()).path("error").path("param").asText());
        assertTrue(refused.body().contains("Base models you can fine-tune here: " + BASE_MODEL + "."), refused.body());
    }

    @Inject
    dev.tooltune.gateway.models.Adapters adapters;

    @Test
    void anAdapterTheTopicLostIsPublishedAgainFromTheRegistry() {
        String key = newKey("heal");
        String tenant = tenantOf(key);
        String adapterId = "ad-" + shortId();
        sendAdapter(adapterId, "heal", tenant, "ftjob-heal" + shortId());
        String topic = GatewayTestEnvironment.topics.adapters();
        byte[] original = awaitRecords(topic, adapterId, 1).get(0).value();
        await(() -> registryHas(adapterId), "adapter in the registry");

        // The consumer, having read the whole topic, found every adapter but this one (the broker lost it).
        Set<String> onTopic = TestKafka.readAll(topic, r -> r.value() != null).stream().map(ConsumerRecord::key)
                .filter(k -> !k.equals(adapterId)).collect(Collectors.toSet());
        assertTrue(adapters.republishLost(onTopic) >= 1);
        List<ConsumerRecord<String, byte[]>> records = awaitRecords(topic, adapterId, 2);
        assertEquals(2, records.size(), "published again");
        assertEquals(MessageCodec.ADAPTERS.decode(original), MessageCodec.ADAPTERS.decode(records.get(1).value()));
    }

    @Inject
    dev.tooltune.gateway.models.AdapterReconciler reconciler;

    @Test
    void theReconcilerPublishesAgainAnAdapterOfTheRegistryTheTopicDoesNotHave() {
        String adapterId = "ad-" + shortId();
        // In the registry, read before the broker lost its data: the topic has never had it since.
        Adapter lost = new Adapter(adapterId, "lost", 1, tenantOf(newKey("lost")), "ftjob-lost" + shortId(),
                new BaseModel(BASE_MODEL, "embedded"), TrainingMethod.LORA, "file:///tmp/adapters/" + adapterId + "/",
                "0".repeat(64), 1024L, null, Instant.now());
        adapters.put(lost);

        assertTrue(reconciler.reconcile() >= 1);
        List<ConsumerRecord<String, byte[]>> records = awaitRecords(GatewayTestEnvironment.topics.adapters(), adapterId, 1);
        assertEquals(1, records.size(), "published again");
        assertEquals(MessageCodec.ADAPTERS.decode(MessageCodec.ADAPTERS.encode(lost)),
                MessageCodec.ADAPTERS.decode(records.get(0).value()));
    }

    @Test
    void theReconcilerNeverPublishesAgainAModelDeletedByATombstoneTheChannelHasNotAppliedYet() throws Exception {
        String key = newKey("deleted");
        String adapterId = "ad-" + shortId();
        sendAdapter(adapterId, "deleted", tenantOf(key), "ftjob-deleted" + shortId());
        String topic = GatewayTestEnvironment.topics.adapters();
        await(() -> registryHas(adapterId), "adapter in the registry");

        java.util.concurrent.CompletableFuture<Integer> reconciled;
        try (Connection lock = TestDatabases.connect(GatewayTestEnvironment.jdbcUrl);
             PreparedStatement row = lock.prepareStatement("select 1 from adapter where adapter_id = ? for update")) {
            // The channel's delete waits for this row lock: the tombstone is on the topic, its row still in the table.
            lock.setAutoCommit(false);
            row.setString(1, adapterId);
            assertTrue(row.executeQuery().next());
            TestKafka.send(topic, adapterId, null);
            reconciled = java.util.concurrent.CompletableFuture.supplyAsync(reconciler::reconcile);
            sleep(2000);
            lock.commit();
        }
        reconciled.get(90, java.util.concurrent.TimeUnit.SECONDS);
        sleep(2000); // the outbox relay's time to publish anything it was given
        List<ConsumerRecord<String, byte[]>> records = TestKafka.readAll(topic, r -> adapterId.equals(r.key()));
        assertEquals(2, records.size(), "the record and its tombstone, nothing published again");
        assertEquals(null, records.get(1).value());
        assertFalse(registryHas(adapterId), "deleted");
    }

    private static boolean registryHas(String adapterId) {
        try (java.sql.Connection c = TestDatabases.connect(GatewayTestEnvironment.jdbcUrl);
             java.sql.PreparedStatement s = c.prepareStatement("select 1 from adapter where adapter_id = ?")) {
            s.setString(1, adapterId);
            return s.executeQuery().next();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void jobSql(String sql, String jobId) {
        try (java.sql.Connection c = TestDatabases.connect(GatewayTestEnvironment.jdbcUrl);
             java.sql.PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, jobId);
            assertEquals(1, s.executeUpdate(), sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sendEvent(TrainingEvent event) {
        TestKafka.send(GatewayTestEnvironment.topics.trainingEvents(), event.jobId(),
                MessageCodec.TRAINING_EVENTS.encode(event));
    }

    private static void sendAdapter(String adapterId, String name, String tenant, String jobId) {
        Adapter adapter = new Adapter(adapterId, name, 1, tenant, jobId, new BaseModel(BASE_MODEL, "embedded"),
                TrainingMethod.LORA, "file:///tmp/adapters/" + adapterId + "/", "0".repeat(64), 1024L, null,
                Instant.now());
        TestKafka.send(GatewayTestEnvironment.topics.adapters(), adapterId, MessageCodec.ADAPTERS.encode(adapter));
        GatewayTestEnvironment.inference.servedAdapters.add(adapterId);
    }

    private static List<ConsumerRecord<String, byte[]>> awaitRecords(String topic, String key, int atLeast) {
        List<ConsumerRecord<String, byte[]>> found = List.of();
        for (int attempt = 0; attempt < 60 && found.size() < atLeast; attempt++) {
            found = TestKafka.readAll(topic, record -> key.equals(record.key()));
            if (found.size() < atLeast) {
                sleep(500);
            }
        }
        return found;
    }

    private static void await(BooleanSupplier condition, String what) {
        for (int attempt = 0; attempt < 120; attempt++) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(250);
        }
        throw new AssertionError("waited 30 s for: " + what);
    }

    private static void assert404(Runnable call) {
        OpenAIServiceException e = assertThrows(OpenAIServiceException.class, call::run);
        assertEquals(404, e.statusCode(), e.getMessage());
    }

    private static void assertError(HttpResponse<String> response, int status, String type, String code)
            throws IOException {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertTrue(error.isObject(), response.body());
        assertTrue(error.has("message") && error.has("type") && error.has("param") && error.has("code"),
                response.body());
        assertEquals(type, error.path("type").asText(), response.body());
        assertEquals(code, error.path("code").asText(), response.body());
    }

    private static String run(Map<String, String> env, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", "scripts/admin.sh"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(GatewayTestEnvironment.repositoryRoot());
        builder.environment().putAll(env);
        Path stderr = Files.createTempFile("admin-", ".err");
        builder.redirectError(stderr.toFile());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = process.waitFor();
        String err = Files.readString(stderr);
        Files.delete(stderr);
        assertEquals(0, status, "admin.sh " + String.join(" ", args) + " failed: " + err);
        return out;
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
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
