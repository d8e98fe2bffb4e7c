package dev.tooltune.model.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local HTTP server plays the Hub: the revision API, resolve URLs that redirect to a "CDN" path (as the Hub does
 * for LFS files), a token check, and a connection that breaks halfway through the weights the first time.
 */
class HubClientTest {
    static final String TOKEN = "hf_test_token";
    static final String REPO = "google/gemma-3-tiny";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    HttpServer server;
    URI endpoint;
    byte[] weights;
    byte[] config = "{\"model_type\": \"gemma3_text\"}".getBytes(StandardCharsets.UTF_8);
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final List<String> cdnAuthorization = new CopyOnWriteArrayList<>();
    final AtomicInteger breakNextWeights = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        weights = new byte[300_000];
        new java.util.Random(1).nextBytes(weights);
        server = HttpServer.create(new InetSocketAddress(0), 0); // all interfaces: reached as 127.0.0.1 and localhost
        server.createContext("/", this::handle);
        server.start();
        endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (path.startsWith("/cdn/")) {
            cdnAuthorization.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            serveWeights(exchange);
            return;
        }
        if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            respond(exchange, 401, "{\"error\": \"Access to model google/gemma-3-tiny is restricted.\"}".getBytes());
            return;
        }
        if (path.equals("/api/models/" + REPO + "/revision/main")) {
            String json = "{\"id\": \"" + REPO + "\", \"sha\": \"" + COMMIT + "\", \"siblings\": ["
                    + "{\"rfilename\": \"config.json\", \"size\": " + config.length + "},"
                    + "{\"rfilename\": \"model.safetensors\", \"size\": " + weights.length
                    + ", \"lfs\": {\"sha256\": \"" + sha256(weights) + "\", \"size\": " + weights.length + "}},"
                    + "{\"rfilename\": \"README.md\", \"size\": 5},"
                    + "{\"rfilename\": \"original/model.gguf\", \"size\": 5}]}";
            respond(exchange, 200, json.getBytes(StandardCharsets.UTF_8));
        } else if (path.equals("/" + REPO + "/resolve/" + COMMIT + "/config.json")) {
            respond(exchange, 200, config);
        } else if (path.equals("/" + REPO + "/resolve/" + COMMIT + "/model.safetensors")) {
            // like the Hub's redirect to its CDN: another host name (localhost vs 127.0.0.1), same server
            exchange.getResponseHeaders().add("Location",
                    "http://localhost:" + server.getAddress().getPort() + "/cdn/" + COMMIT + "/model.safetensors");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        } else {
            respond(exchange, 404, "Repository not found".getBytes());
        }
    }

    private void serveWeights(HttpExchange exchange) throws IOException {
        String range = exchange.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        int from = 0;
        if (range != null) {
            from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
            exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (weights.length - 1) + "/" + weights.length);
        }
        int length = weights.length - from;
        exchange.sendResponseHeaders(range != null ? 206 : 200, length);
        OutputStream out = exchange.getResponseBody();
        if (breakNextWeights.getAndDecrement() > 0) {
            out.write(weights, from, length / 2);
            out.flush();
            exchange.getHttpContext().getServer(); // keep the reference; then drop the connection mid-body
            closeSocketAbruptly(exchange);
            return;
        }
        out.write(weights, from, length);
        out.close();
    }

    /** Ends the exchange without sending the promised bytes, as a dropped connection would. */
    private static void closeSocketAbruptly(HttpExchange exchange) {
        // HttpExchange.close() on an incomplete fixed-length body closes the underlying connection.
        exchange.close();
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void downloadsTheModelFilesIntoTheCache(@TempDir Path cache) throws Exception {
        List<String> progress = new CopyOnWriteArrayList<>();
        Path snapshot = new HubClient(endpoint, TOKEN, cache, 3)
                .download(REPO, "main", (file, bytes, total) -> progress.add(file + ":" + bytes + "/" + total));
        assertEquals(cache.resolve("models--google--gemma-3-tiny/snapshots/" + COMMIT), snapshot);
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertArrayEquals(config, Files.readAllBytes(snapshot.resolve("config.json")));
        assertFalse(Files.exists(snapshot.resolve("README.md")), "non-model files are skipped");
        assertFalse(Files.exists(snapshot.resolve("original")), "sub-folders are skipped");
        assertEquals(COMMIT, Files.readString(cache.resolve("models--google--gemma-3-tiny/refs/main")));
        assertTrue(progress.contains("model.safetensors:" + weights.length + "/" + weights.length), progress.toString());
        assertEquals(List.of("null"), cdnAuthorization, "the token is not sent to another host after a redirect");
    }

    @Test
    void anInterruptedDownloadResumesWhereItStopped(@TempDir Path cache) throws Exception {
        breakNextWeights.set(1);
        HubClient noRetry = new HubClient(endpoint, TOKEN, cache, 1);
        HubException failure = assertThrows(HubException.class, () -> noRetry.download(REPO, "main", null));
        assertTrue(failure.getMessage().contains("model.safetensors") && failure.getMessage().contains("resume"),
                failure.getMessage());
        Path partial = cache.resolve("models--google--gemma-3-tiny/snapshots/" + COMMIT + "/model.safetensors.incomplete");
        long kept = Files.size(partial);
        assertTrue(kept > 0 && kept < weights.length, "half the bytes are kept: " + kept);

        Path snapshot = new HubClient(endpoint, TOKEN, cache, 1).download(REPO, "main", null);
        assertEquals(List.of("null", "bytes=" + kept + "-"), ranges, "the second run asks only for the rest");
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertFalse(Files.exists(partial));
    }

    @Test
    void aBrokenConnectionIsRetriedWithinOneCall(@TempDir Path cache) throws Exception {
        breakNextWeights.set(2);
        Path snapshot = new HubClient(endpoint, TOKEN, cache, 4).download(REPO, "main", null);
        assertArrayEquals(weights, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertEquals(3, ranges.size());
        assertTrue(ranges.get(1).startsWith("bytes=") && ranges.get(2).startsWith("bytes="), ranges.toString());
        // a second download finds everything in place and transfers nothing
        new HubClient(endpoint, TOKEN, cache, 1).download(REPO, "main", null);
        assertEquals(3, ranges.size());
    }

    @Test
    void unauthorisedRequestsExplainTheToken(@TempDir Path cache) {
        HubException missing = assertThrows(HubException.class,
                () -> new HubClient(endpoint, null, cache, 3).download(REPO, "main", null));
        assertEquals(401, missing.status());
        assertTrue(missing.getMessage().contains("HF_TOKEN") && missing.getMessage().contains("license"), missing.getMessage());
        HubException wrong = assertThrows(HubException.class,
                () -> new HubClient(endpoint, "hf_wrong", cache, 3).download(REPO, "main", null));
        assertTrue(wrong.getMessage().contains("refused"), wrong.getMessage());
    }

    @Test
    void unknownModelsAndBadIdsAreReported(@TempDir Path cache) {
        HubException notFound = assertThrows(HubException.class,
                () -> new HubClient(endpoint, TOKEN, cache, 3).download("google/nope", "main", null));
        assertEquals(404, notFound.status());
        assertTrue(notFound.getMessage().contains("google/nope"), notFound.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new HubClient(endpoint, TOKEN, cache, 3).download("../etc", "main", null));
    }

    @Test
    void aCorruptFileIsDetected(@TempDir Path cache) throws Exception {
        byte[] good = weights.clone();
        weights[5] ^= 1; // the server now serves bytes that do not match the listed sha256... list uses new bytes
        // list the sha256 of the good bytes but serve the corrupt ones
        HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (path.startsWith("/api/")) {
                respond(exchange, 200, ("{\"sha\": \"" + COMMIT + "\", \"siblings\": [{\"rfilename\": \"model.safetensors\","
                        + " \"size\": " + good.length + ", \"lfs\": {\"sha256\": \"" + sha256(good) + "\"}}]}").getBytes());
            } else {
                respond(exchange, 200, weights);
            }
        });
        other.start();
        try {
            URI otherEndpoint = URI.create("http://127.0.0.1:" + other.getAddress().getPort());
            HubException e = assertThrows(HubException.class,
                    () -> new HubClient(otherEndpoint, null, cache, 1).download(REPO, "main", null));
            assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        } finally {
            other.stop(0);
        }
    }
}
