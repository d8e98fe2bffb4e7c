package dev.tooltune.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Downloads model repositories from the Hugging Face Hub (or any server with its file endpoints) into a local
 * cache, the way huggingface_hub lays it out:
 * {@code <cache>/models--google--gemma-3-1b-it/snapshots/<commit>/<file>} plus {@code refs/<revision>}.
 *
 * <ul>
 *   <li>Listing: {@code GET {endpoint}/api/models/{id}/revision/{revision}?blobs=true} (siblings, sizes, LFS sha256).</li>
 *   <li>Files: {@code GET {endpoint}/{id}/resolve/{commit}/{file}}, following redirects to the CDN (the token is
 *       only sent to the Hub's own host).</li>
 *   <li>Resumable: bytes go to {@code <file>.incomplete}; a later attempt (a retry, or a new run) asks for the rest
 *       with {@code Range: bytes=N-}. Complete files are checked against the listed size and LFS sha256.</li>
 *   <li>{@code HF_TOKEN} authorises gated models such as Gemma; {@code HF_ENDPOINT} points at a mirror.</li>
 * </ul>
 */
public final class HubClient {

    /** Files a text model needs; everything else in a repo (gguf, original/, onnx) is skipped by default. */
    public static final Predicate<String> MODEL_FILES = name -> !name.contains("/") && (name.endsWith(".safetensors")
            || name.equals("model.safetensors.index.json") || name.equals("config.json")
            || name.equals("generation_config.json") || name.equals("tokenizer.json")
            || name.equals("tokenizer_config.json") || name.equals("special_tokens_map.json"));

    /** Progress of one file: bytes present so far (including resumed ones) and the total, -1 if unknown. */
    @FunctionalInterface
    public interface Progress {
        void update(String file, long bytes, long total);
    }

    public record RemoteFile(String name, long size, String sha256) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final String token;
    private final Path cache;
    private final HttpClient http;
    private final int maxAttempts;

    public HubClient(URI endpoint, String token, Path cache, int maxAttempts) {
        this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.cache = cache;
        this.maxAttempts = Math.max(1, maxAttempts);
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** HF_ENDPOINT (default https://huggingface.co), HF_TOKEN, cache {@code $TOOLTUNE_CACHE/hub} or ~/.cache/tooltune/hub. */
    public static HubClient fromEnvironment() {
        String endpoint = System.getenv().getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        String token = System.getenv("HF_TOKEN");
        if (token == null) {
            token = System.getenv("HUGGING_FACE_HUB_TOKEN");
        }
        String base = System.getenv("TOOLTUNE_CACHE");
        Path cache = base != null ? Path.of(base, "hub")
                : Path.of(System.getProperty("user.home"), ".cache", "tooltune", "hub");
        return new HubClient(URI.create(endpoint), token, cache, 5);
    }

    public Path cache() {
        return cache;
    }

    /** Downloads the model files of {@code repoId} at {@code revision} and returns the snapshot directory. */
    public Path download(String repoId, String revision, Progress progress) {
        return download(repoId, revision, MODEL_FILES, progress);
    }

    public Path download(String repoId, String revision, Predicate<String> wanted, Progress progress) {
        checkRepoId(repoId);
        JsonNode info = getJson(apiUri(repoId, revision), repoId);
        String commit = info.path("sha").asText(revision);
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode sibling : info.path("siblings")) {
            String name = sibling.path("rfilename").asText();
            if (wanted.test(name)) {
                String sha = sibling.path("lfs").path("sha256").asText(null);
                long size = sibling.has("size") ? sibling.get("size").asLong() : sibling.path("lfs").path("size").asLong(-1);
                files.add(new RemoteFile(name, size, sha));
            }
        }
        if (files.isEmpty()) {
            throw new HubException(repoId + "@" + revision + " has no model files (config.json, *.safetensors)", 404);
        }
        Path repoDir = cache.resolve("models--" + repoId.replace("/", "--"));
        Path snapshot = repoDir.resolve("snapshots").resolve(commit);
        try {
            Files.createDirectories(snapshot);
            Files.createDirectories(repoDir.resolve("refs"));
            Files.writeString(repoDir.resolve("refs").resolve(revision.replace("/", "--")), commit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + snapshot, e);
        }
        for (RemoteFile file : files) {
            downloadFile(repoId, commit, file, snapshot.resolve(file.name()), progress);
        }
        return snapshot;
    }

    private URI apiUri(String repoId, String revision) {
        return URI.create(endpoint + "/api/models/" + repoId + "/revision/" + encode(revision) + "?blobs=true");
    }

    private URI fileUri(String repoId, String commit, String file) {
        return URI.create(endpoint + "/" + repoId + "/resolve/" + encode(commit) + "/" + file);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static void checkRepoId(String repoId) {
        if (!repoId.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("'" + repoId + "' is not a Hub model id like google/gemma-3-1b-it");
        }
    }

    private JsonNode getJson(URI uri, String repoId) {
        HttpResponse<InputStream> response = send(uri, null, repoId, "the file list");
        try (InputStream body = response.body()) {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new HubException("reading the file list of " + repoId + " from " + uri + ": " + e.getMessage(), e);
        }
    }

    /** One file, resumed from {@code target.incomplete} when present, retried on broken connections. */
    void downloadFile(String repoId, String commit, RemoteFile file, Path target, Progress progress) {
        if (Files.isRegularFile(target) && (file.size() < 0 || sizeOf(target) == file.size())) {
            report(progress, file.name(), sizeOf(target), file.size());
            return;
        }
        Path partial = target.resolveSibling(target.getFileName() + ".incomplete");
        Exception last = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            try {
                transfer(repoId, commit, file, partial, progress);
                verify(file, partial);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (IOException e) {
                last = e; // connection broken mid-file: the bytes so far stay in .incomplete for the next attempt
            } catch (HubException e) {
                if (e.status() != -1 && e.status() < 500 && e.status() != 429) {
                    throw e; // 401, 403, 404: retrying cannot help
                }
                last = e;
            }
        }
        throw new HubException("downloading " + file.name() + " of " + repoId + " failed after " + maxAttempts
                + " attempt(s): " + last.getMessage() + " (" + sizeOf(partial) + " bytes kept in " + partial
                + "; run again to resume)", last);
    }

    private void transfer(String repoId, String commit, RemoteFile file, Path partial, Progress progress)
            throws IOException {
        Files.createDirectories(partial.getParent());
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (file.size() >= 0 && have > file.size()) {
            Files.delete(partial);
            have = 0;
        }
        if (file.size() >= 0 && have == file.size()) {
            return;
        }
        HttpResponse<InputStream> response = send(fileUri(repoId, commit, file.name()),
                have > 0 ? "bytes=" + have + "-" : null, repoId, file.name());
        boolean append = response.statusCode() == 206;
        if (!append) {
            have = 0; // the server sent the whole file
        }
        long total = file.size();
        if (total < 0) {
            total = response.headers().firstValueAsLong("content-length").orElse(-1);
            if (total >= 0 && append) {
                total += have;
            }
        }
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 16];
            long done = have;
            long lastReport = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                done += n;
                if (done - lastReport >= (8 << 20)) {
                    report(progress, file.name(), done, total);
                    lastReport = done;
                }
            }
            out.flush();
            report(progress, file.name(), done, total);
            if (total >= 0 && done < total) {
                throw new IOException("connection closed after " + done + " of " + total + " bytes");
            }
        }
    }

    private static void verify(RemoteFile file, Path partial) throws IOException {
        long size = Files.size(partial);
        if (file.size() >= 0 && size != file.size()) {
            throw new IOException(file.name() + ": got " + size + " bytes, the Hub lists " + file.size());
        }
        if (file.sha256() != null) {
            String actual = sha256(partial);
            if (!actual.equalsIgnoreCase(file.sha256())) {
                Files.delete(partial);
                throw new HubException(file.name() + ": sha256 " + actual + " does not match the Hub's " + file.sha256()
                        + "; the partial file was deleted, run again", 0);
            }
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** GET with the token (Hub host only), following up to 5 redirects; non-2xx statuses become HubExceptions. */
    private HttpResponse<InputStream> send(URI uri, String range, String repoId, String what) {
        URI current = uri;
        for (int hop = 0; hop <= 5; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).timeout(Duration.ofMinutes(10)).GET()
                    .header("User-Agent", "tooltune-model-core");
            if (token != null && sameHost(current, endpoint)) {
                request.header("Authorization", "Bearer " + token);
            }
            if (range != null) {
                request.header("Range", range);
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new HubException("cannot reach " + current + " for " + what + " of " + repoId + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException("interrupted while fetching " + what + " of " + repoId, e);
            }
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("location").isPresent()) {
                closeQuietly(response);
                current = current.resolve(response.headers().firstValue("location").get());
                continue;
            }
            if (status == 200 || status == 206) {
                return response;
            }
            closeQuietly(response);
            throw new HubException(explain(status, repoId, what, current), status);
        }
        throw new HubException("too many redirects fetching " + what + " of " + repoId + " from " + uri, 310);
    }

    private String explain(int status, String repoId, String what, URI uri) {
        String base = "HTTP " + status + " for " + what + " of " + repoId + " (" + uri + "): ";
        return switch (status) {
            case 401 -> base + (token == null
                    ? "the Hub requires a token. Set HF_TOKEN to an access token of an account that accepted the"
                    + " model's license (Gemma is gated: accept it on the model page first)."
                    : "the token in HF_TOKEN was refused. Check that it is valid and has read access.");
            case 403 -> base + "access denied. Gemma models are gated: accept the license on the model page with the"
                    + " account whose token is in HF_TOKEN.";
            case 404 -> base + "not found. Check the model id and revision"
                    + (token == null ? " (a private or gated repo also answers 404 without HF_TOKEN)." : ".");
            case 416 -> base + "the server refused to resume; delete the .incomplete file and run again.";
            case 429 -> base + "rate limited by the Hub; wait and run again (the download resumes).";
            default -> base + (status >= 500 ? "server error; run again later (the download resumes)." : "unexpected status.");
        };
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().toLowerCase(Locale.ROOT).equals(
                b.getHost() == null ? "" : b.getHost().toLowerCase(Locale.ROOT)) && a.getPort() == b.getPort();
    }

    private static void closeQuietly(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // only releasing the connection
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void report(Progress progress, String file, long bytes, long total) {
        if (progress != null) {
            progress.update(file, bytes, total);
        }
    }
}
