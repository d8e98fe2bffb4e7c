package dev.tooltune.trainer.claims;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * The in-flight claim of a job, kept by the gateway in its job registry's database ({@code /internal/training-claims},
 * {@link TrainingClaimsApi}): a worker trains a job only while it holds the claim, so two deliveries of one job (the
 * outbox relaying twice, a redelivery while its first worker still lives) never train at the same time. Why the
 * gateway: it owns the job registry and PostgreSQL, the one store here that decides "first one wins" atomically; the
 * artifact store cannot (S3's conditional writes are not offered by every S3-compatible server, S3Proxy included, nor
 * is create-if-absent atomic on every shared file system), and Kafka's share group locks records, not jobs.
 *
 * <p>A gateway that cannot be reached, or answers anything else, is an {@link IOException}: the worker keeps training
 * while a renewal fails (the claim may be renewed before it expires), and a delivery that could not claim is tried again.
 */
@ApplicationScoped
public class JobClaims {

    /** The claim after a request: granted to the caller, or held by {@code owner} until {@code expiresAt}. */
    public record Claim(boolean granted, String owner, long epoch, Instant expiresAt) {}

    private final TrainingClaimsApi gateway;

    JobClaims(@RestClient TrainingClaimsApi gateway) {
        this.gateway = gateway;
    }

    /** Claims {@code jobId} for {@code owner} for {@code ttl}, or renews the claim when {@code owner} holds it. */
    public Claim claim(String jobId, String owner, Duration ttl) throws IOException {
        try {
            return gateway.claim(jobId, new TrainingClaimsApi.ClaimRequest(owner, ttl.toMillis()));
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == Response.Status.CONFLICT.getStatusCode()) {
                return e.getResponse().readEntity(Claim.class);
            }
            throw answered(e, "the claim of job " + jobId);
        } catch (ProcessingException e) {
            throw unreachable(e, "the claim of job " + jobId);
        }
    }

    /** Gives the claim up, so that the next delivery need not wait for it to expire; no claim left to give up is fine. */
    public void release(String jobId, String owner) throws IOException {
        try {
            gateway.release(jobId, owner);
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() != Response.Status.NOT_FOUND.getStatusCode()) {
                throw answered(e, "the release of job " + jobId);
            }
        } catch (ProcessingException e) {
            throw unreachable(e, "the release of job " + jobId);
        }
    }

    private static IOException answered(WebApplicationException e, String what) {
        Response response = e.getResponse();
        String body = response.hasEntity() ? response.readEntity(String.class) : "";
        return new IOException("the gateway answered " + response.getStatus() + " to " + what + ": " + body, e);
    }

    private static IOException unreachable(ProcessingException e, String what) {
        return new IOException("the gateway could not be reached for " + what + ": " + e.getMessage(), e);
    }
}
