package dev.tooltune.trainer.claims;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.trainer.TrainerSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * The in-flight claim of a job, kept by the gateway in its job registry's database ({@code /internal/training-claims}):
 * a worker trains a job only while it holds the claim, so two deliveries of one job (the outbox relaying twice, a
 * redelivery while its first worker still lives) never train at the same time. Why the gateway: it owns the job
 * registry and PostgreSQL, the one store here that decides "first one wins" atomically; the artifact store cannot
 * (S3's conditional writes are not offered by every S3-compatible server, S3Proxy included, nor is create-if-absent
 * atomic on every shared file system), and Kafka's share group locks records, not jobs.
 */
public final class JobClaims {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The claim after a request: granted to the caller, or held by {@code owner} until {@code expiresAt}. */
    public record Claim(boolean granted, String owner, long epoch, Instant expiresAt) {}

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String baseUrl;
    private final String token;

    public JobClaims(TrainerSettings settings) {
        this.baseUrl = settings.gatewayUrl().replaceAll("/+$", "");
        this.token = settings.internalToken().orElse(null);
    }

    /** Claims {@code jobId} for {@code owner} for {@code ttl}, or renews the claim when {@code owner} holds it. */
    public Claim claim(String jobId, String owner, Duration ttl) throws IOException {
        String body = JSON.createObjectNode().put("owner", owner).put("ttlMillis", ttl.toMillis()).toString();
        HttpResponse<String> response = send(request(jobId, "")
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build());
        if (response.statusCode() != 200 && response.statusCode() != 409) {
            throw new IOException("the gateway answered " + response.statusCode() + " to the claim of job " + jobId
                    + ": " + response.body());
        }
        JsonNode claim = JSON.readTree(response.body());
        return new Claim(response.statusCode() == 200, claim.path("owner").asText(), claim.path("epoch").asLong(),
                Instant.parse(claim.path("expiresAt").asText("1970-01-01T00:00:00Z")));
    }

    /** Gives the claim up, so that the next delivery need not wait for it to expire. */
    public void release(String jobId, String owner) throws IOException {
        send(request(jobId, "?owner=" + URLEncoder.encode(owner, StandardCharsets.UTF_8)).DELETE().build());
    }

    private HttpRequest.Builder request(String jobId, String query) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + "/internal/training-claims/"
                + URLEncoder.encode(jobId, StandardCharsets.UTF_8) + query)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            builder.header("X-Tooltune-Internal-Token", token);
        }
        return builder;
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
