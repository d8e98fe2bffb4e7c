package dev.tooltune.gateway.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.upstream.DatasetServiceApi;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * The calls the gateway makes to dataset-service for files: a file is one dataset holding one frozen version.
 * See dataset-service/README.md for the API.
 */
@ApplicationScoped
public class DatasetService {
    private final DatasetServiceApi api;
    private final ObjectMapper json;

    public DatasetService(@RestClient DatasetServiceApi api, ObjectMapper json) {
        this.api = api;
        this.json = json;
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
        String body = json.createObjectNode().put("name", name).put("description", description).toString();
        JsonNode created = expect(call("create dataset", () -> api.createDataset(tenantId, body)), "create dataset",
                200, 201);
        return created.get("id").asText();
    }

    /** Imports the file strictly (any bad line rejects it) and waits for the result; the file is sent from disk. */
    public ImportResult importStrict(String tenantId, String datasetId, Path file) {
        Answer answer = call("import file", () -> api.importFile(tenantId, datasetId, "strict", "openai", true,
                file.toFile()));
        JsonNode report = parse(answer, "import file");
        if (answer.status() == 201) {
            return new ImportResult(report.path("versionNumber").asInt(), report.path("examplesStored").asLong(),
                    List.of(), 0, null, null);
        }
        if (answer.status() == 422 || answer.status() == 400) {
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
        throw OpenAiException.upstream("dataset-service import", "HTTP " + answer.status() + ": "
                + abbreviate(answer.body()));
    }

    public void freeze(String tenantId, String datasetId, int version) {
        expect(call("freeze dataset version", () -> api.freeze(tenantId, datasetId, version)),
                "freeze dataset version", 200, 201, 204);
    }

    /** Deletes the dataset even if frozen; a dataset already gone is fine. */
    public void deleteDataset(String tenantId, String datasetId) {
        Answer answer = call("delete dataset", () -> api.deleteDataset(tenantId, datasetId, true));
        if (answer.status() >= 300 && answer.status() != 404) {
            throw OpenAiException.upstream("dataset-service delete", "HTTP " + answer.status() + ": "
                    + abbreviate(answer.body()));
        }
    }

    /** The version's examples as JSONL, streamed: the caller reads and closes the stream. */
    public InputStream export(String tenantId, String datasetId, int version) {
        Response response;
        try {
            response = api.export(tenantId, datasetId, version);
        } catch (ProcessingException e) {
            throw OpenAiException.upstream("dataset-service export", e.toString());
        }
        if (response.getStatus() != 200) {
            String body = response.readEntity(String.class);
            response.close();
            throw OpenAiException.upstream("dataset-service export", "HTTP " + response.getStatus() + ": "
                    + abbreviate(body));
        }
        return response.readEntity(InputStream.class);
    }

    /** An answer of dataset-service, read whole (these are small JSON documents). */
    private record Answer(int status, String body) {
    }

    private static Answer call(String what, Supplier<Response> call) {
        try (Response response = call.get()) {
            return new Answer(response.getStatus(), response.hasEntity() ? response.readEntity(String.class) : null);
        } catch (ProcessingException e) {
            throw OpenAiException.upstream("dataset-service " + what, e.toString());
        }
    }

    private JsonNode expect(Answer answer, String what, int... ok) {
        for (int status : ok) {
            if (answer.status() == status) {
                return parse(answer, what);
            }
        }
        throw OpenAiException.upstream("dataset-service " + what, "HTTP " + answer.status() + ": "
                + abbreviate(answer.body()));
    }

    private JsonNode parse(Answer answer, String what) {
        if (answer.body() == null || answer.body().isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(answer.body());
        } catch (IOException e) {
            throw OpenAiException.upstream("dataset-service " + what, "answer is not JSON: "
                    + abbreviate(answer.body()));
        }
    }

    static String abbreviate(String text) {
        return text == null ? "" : text.length() <= 300 ? text : text.substring(0, 297) + "...";
    }
}
