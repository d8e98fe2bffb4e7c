package dev.tooltune.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;

/** Clients of the service under test: the official OpenAI Java SDK, and plain HTTP for what the SDK hides. */
final class ServiceClients {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private ServiceClients() {}

    static OpenAIClient openAi(String baseUrl) {
        return openAi(baseUrl, null);
    }

    static OpenAIClient openAi(String baseUrl, String tenant) {
        OpenAIOkHttpClient.Builder builder = OpenAIOkHttpClient.builder()
                .baseUrl(baseUrl + "v1")
                .apiKey("unused")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(120))
                .putHeader("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN);
        if (tenant != null) {
            builder.putHeader("X-Tooltune-Tenant", tenant);
        }
        return builder.build();
    }

    static ChatCompletionFunctionTool tool(ToolDefinition definition) {
        FunctionParameters.Builder parameters = FunctionParameters.builder();
        JsonNode schema = definition.function().parameters();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            parameters.putAdditionalProperty(field.getKey(), JsonValue.fromJsonNode(field.getValue()));
        }
        return ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder()
                        .name(definition.function().name())
                        .description(definition.function().description())
                        .parameters(parameters.build())
                        .build())
                .build();
    }

    static HttpResponse<String> post(String baseUrl, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path.substring(1)))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String baseUrl, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path.substring(1)))
                .timeout(Duration.ofSeconds(30)).GET();
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until /q/health/ready is up (base model loaded, adapters topic read). */
    static void awaitReady(String baseUrl) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = get(baseUrl, "/q/health/ready", Map.of());
            if (response.statusCode() == 200) {
                return;
            }
            last = response.body();
            Thread.sleep(200);
        }
        throw new AssertionError("service not ready after 3 minutes: " + last);
    }

    /** Waits until {@code model} is listed by /v1/models (the service has read its record). */
    static void awaitModel(String baseUrl, String model, boolean present) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = get(baseUrl, "/v1/models",
                    Map.of("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN));
            boolean listed = false;
            for (JsonNode entry : ChatJson.MAPPER.readTree(response.body()).path("data")) {
                listed |= entry.path("id").asText().equals(model);
            }
            if (listed == present) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("model " + model + (present ? " never listed" : " still listed"));
    }
}
