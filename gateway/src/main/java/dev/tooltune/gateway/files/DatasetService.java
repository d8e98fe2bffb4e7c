package dev.tooltune.gateway.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.upstream.InternalHttp;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The calls the gateway makes to dataset-service for files: a file is one dataset holding one frozen version.
 * See dataset-service/README.md for the API.
 */
@ApplicationScoped
public class DatasetService {
    private final InternalHttp http;
    private final ObjectMapper json;
    private final URI base;

    public DatasetService(InternalHttp http, ObjectMapper json, GatewayConfig config) {
        this.http = http;
        this.json = json;
        this.base = config.datasetService().url();
    }

    /** One problem dataset-service found in an upload. */
    public record Problem(long line, String path, String reason) {
    }

    /** What an import left: a version with examples, or the problems that rejected the file. */
    public record ImportResult(Integer version, long examples, List<Problem> problems, long problemCount,
                               String message, JsonNode reportedProblems) {
        public boolean rejected() {
            return version == null;
        }
    }

    public String createDataset(String tenantId, String name, String description) {
        JsonNode body = json.createObjectNode().put("name", name).put("description", description);
        JsonNode created = send(http.request(base, "/datasets", tenantId)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), "create dataset", 200, 201);
        return created.get("id").asText();
    }

    /** Imports the file strictly (any bad line rejects it) and waits for the result. */
    public ImportResult importStrict(String tenantId, String datasetId, Path file) {
        HttpResponse<String> response = exchange(http.request(base,
                        "/datasets/" + datasetId + "/imports?mode=strict&format=openai&wait=true", tenantId)
                .header("Content-Type", "application/x-ndjson")
                .POST(ofFile(file)).build(), "import file");
        JsonNode report = parse(response, "import file");
        if (response.statusCode() == 201) {
            return new ImportResult(report.path("versionNumber").asInt(), report.path("examplesStored").asLong(),
                    List.of(), 0, null, null);
        }
        if (response.statusCode() == 422 || response.statusCode() == 400) {
            List<Problem> problems = new ArrayList<>();
            for (JsonNode problem : report.path("problems")) {
                if (!"warning".equals(problem.path("severity").asText())) {
                    problems.add(new Problem(problem.path("line").asLong(), problem.path("path").asText(null),
                            problem.path("reason").asText()));
                }
            }
            String message = report.path("message").asText(report.path("error").path("message")
                    .asText(report.path("detail").asText(null)));
            return new ImportResult(null, 0, problems, report.path("problemCount").asLong(problems.size()), message,
                    report.path("problems"));
        }
        throw OpenAiException.upstream("dataset-service import", "HTTP " + response.statusCode() + ": "
                + abbreviate(response.body()));
    }

    public void freeze(String tenantId, String datasetId, int version) {
        send(http.request(base, "/datasets/" + datasetId + "/versions/" + version + "/freeze", tenantId)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), "freeze dataset version", 200, 201, 204);
    }

    /** Deletes the dataset even if frozen; a dataset already gone is fine. */
    public void deleteDataset(String tenantId, String datasetId) {
        HttpResponse<String> response = exchange(http.request(base, "/datasets/" + datasetId + "?force=true",
                tenantId).DELETE().build(), "delete dataset");
        if (response.statusCode() >= 300 && response.statusCode() != 404) {
            throw OpenAiException.upstream("dataset-service delete", "HTTP " + response.statusCode() + ": "
                    + abbreviate(response.body()));
        }
    }

    /** The version's examples as JSONL, streamed. */
    public HttpResponse<InputStream> export(String tenantId, String datasetId, int version) {
        try {
            HttpResponse<InputStream> response = http.client().send(http.request(base,
                    "/datasets/" + datasetId + "/versions/" + version + "/export", tenantId).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                String body = new String(response.body().readAllBytes());
                throw OpenAiException.upstream("dataset-service export", "HTTP " + response.statusCode() + ": "
                        + abbreviate(body));
            }
            return response;
        } catch (IOException e) {
            throw OpenAiException.upstream("dataset-service export", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OpenAiException.upstream("dataset-service export", "interrupted");
        }
    }

    private JsonNode send(HttpRequest request, String what, int... ok) {
        HttpResponse<String> response = exchange(request, what);
        for (int status : ok) {
            if (response.statusCode() == status) {
                return parse(response, what);
            }
        }
        throw OpenAiException.upstream("dataset-service " + what, "HTTP " + response.statusCode() + ": "
                + abbreviate(response.body()));
    }

    private HttpResponse<String> exchange(HttpRequest request, String what) {
        try {
            return http.client().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw OpenAiException.upstream("dataset-service " + what, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OpenAiException.upstream("dataset-service " + what, "interrupted");
        }
    }

    private JsonNode parse(HttpResponse<String> response, String what) {
        if (response.body() == null || response.body().isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw OpenAiException.upstream("dataset-service " + what, "answer is not JSON: "
                    + abbreviate(response.body()));
        }
    }

    private static HttpRequest.BodyPublisher ofFile(Path file) {
        try {
            return HttpRequest.BodyPublishers.ofFile(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the uploaded file " + file, e);
        }
    }

    static String abbreviate(String text) {
        return text == null ? "" : text.length() <= 300 ? text : text.substring(0, 297) + "...";
    }
}
