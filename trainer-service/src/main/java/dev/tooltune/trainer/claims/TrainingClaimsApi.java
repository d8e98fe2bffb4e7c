package dev.tooltune.trainer.claims;

import dev.tooltune.contracts.InternalCalls;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * The gateway's training claims API as the trainer uses it (REST client {@code gateway}: URL and timeouts in
 * application.properties). No retries here: {@link JobClaims} turns a gateway it cannot reach into an IOException, and
 * the worker decides (a renewal just waits for the next one; see TrainingWorker.HeldClaim).
 */
@RegisterRestClient(configKey = "gateway")
@Path("/internal/training-claims/{jobId}")
@ClientHeaderParam(name = InternalCalls.TOKEN_HEADER, value = "{dev.tooltune.trainer.InternalToken.value}",
        required = false)
public interface TrainingClaimsApi {

    record ClaimRequest(String owner, long ttlMillis) {
    }

    /** 200 with the claim when granted; 409 (an exception carrying the holder's claim) when another worker holds it. */
    @PUT
    JobClaims.Claim claim(@RestPath String jobId, ClaimRequest request);

    /** 204; 404 when {@code owner} holds no claim of the job (any more). */
    @DELETE
    void release(@RestPath String jobId, @RestQuery String owner);
}
