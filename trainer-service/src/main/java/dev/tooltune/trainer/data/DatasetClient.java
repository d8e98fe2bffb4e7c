package dev.tooltune.trainer.data;

import dev.tooltune.trainer.TrainerSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;

/**
 * dataset-service's export API: a frozen version (or one part of its deterministic split) streamed to a local
 * JSONL file, with the internal token and the tenant as headers.
 */
public final class DatasetClient {

    /** The dataset or version does not exist, is not frozen, or the request was refused: the job's data is at fault. */
    public static final class DatasetException extends Exception {
        public DatasetException(String message) {
            super(message);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String baseUrl;
    private final String token;

    public DatasetClient(TrainerSettings settings) {
        this.baseUrl = settings.datasetServiceUrl().replaceAll("/+$", "");
        this.token = settings.internalToken().orElse(null);
    }

    /** Checks that the version exists and is frozen. */
    public void requireFrozen(String tenantId, String datasetId, int version) throws DatasetException, IOException {
        String body = get(tenantId, "/datasets/" + datasetId + "/versions/" + version);
        if (!body.replace(" ", "").toLowerCase(Locale.ROOT).contains("\"frozen\":true")) {
            throw new DatasetException("dataset " + datasetId + " version " + version
                    + " is not frozen: freeze it (POST /datasets/" + datasetId + "/versions/" + version + "/freeze) and submit again");
        }
    }

    /**
     * Streams the export to {@code target}.
     *
     * @param split null for the whole version, else "train" or "eval" of the split by (seed, evalRatio)
     */
    public Path export(String tenantId, String datasetId, int version, String split, long seed, double evalRatio, Path target)
            throws DatasetException, IOException {
        String path = "/datasets/" + datasetId + "/versions/" + version + "/export"
                + (split == null ? "" : "?split=" + split + "&seed=" + seed + "&evalRatio=" + evalRatio);
        HttpResponse<InputStream> response = send(tenantId, path, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw refused(datasetId, version, response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            Files.createDirectories(target.getParent());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    private String get(String tenantId, String path) throws DatasetException, IOException {
        HttpResponse<String> response = send(tenantId, path, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw refused(path, 0, response.statusCode(), response.body());
        }
        return response.body();
    }

    private static DatasetException refused(String dataset, int version, int status, String body) {
        String what = version > 0 ? "dataset " + dataset + " version " + version : dataset;
        return new DatasetException("dataset-service answered " + status + " for " + what + ": "
                + (body.length() > 300 ? body.substring(0, 300) + "..." : body));
    }

    private <T> HttpResponse<T> send(String tenantId, String path, HttpResponse.BodyHandler<T> handler) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofMinutes(10))
                .header("X-Tooltune-Tenant", tenantId);
        if (token != null) {
            request.header("X-Tooltune-Internal-Token", token);
        }
        try {
            return http.send(request.GET().build(), handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling dataset-service " + path, e);
        }
    }
}
