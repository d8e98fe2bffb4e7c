package dev.tooltune.gateway.claims;

import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

/**
 * Internal API for trainer-service (not under /v1, so no API key; the shared internal token instead): a worker
 * claims a job before it trains it, renews the claim while it trains, and releases it when it stops.
 * {@code PUT /internal/training-claims/{jobId}} with {@code {"owner": "...", "ttlMillis": 60000}}: 200 with the
 * claim when granted, 409 with the current holder when another worker holds it. The caller is an internal one:
 * the HTTP permission on {@code /internal/*} authenticates it with the internal token only (internal-auth's
 * mechanism, never an API key) before this runs, and refuses it with {@link InternalApiRefusal}'s 401.
 */
@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/internal/training-claims/{jobId}")
public class TrainingClaimsResource {
    private static final Duration LONGEST = Duration.ofHours(1);

    public record ClaimRequest(String owner, Long ttlMillis) {}

    @Inject
    TrainingClaims claims;

    @PUT
    public Response claim(@PathParam("jobId") String jobId, ClaimRequest request) throws SQLException {
        if (!validId(jobId) || request == null || request.owner() == null || request.owner().isBlank()
                || request.owner().length() > 256 || request.ttlMillis() == null || request.ttlMillis() < 1000
                || request.ttlMillis() > LONGEST.toMillis()) {
            return problem(400, "expected a job id and {\"owner\": non-empty, at most 256 characters, \"ttlMillis\": 1000.."
                    + LONGEST.toMillis() + "}");
        }
        TrainingClaims.Claim claim = claims.claim(jobId, request.owner(), Duration.ofMillis(request.ttlMillis()));
        return Response.status(claim.granted() ? 200 : 409).type(MediaType.APPLICATION_JSON).entity(claim).build();
    }

    @DELETE
    public Response release(@PathParam("jobId") String jobId, @QueryParam("owner") String owner) throws SQLException {
        if (!validId(jobId) || owner == null || owner.isBlank()) {
            return problem(400, "expected a job id and ?owner=");
        }
        return claims.release(jobId, owner) ? Response.noContent().build()
                : problem(404, "no claim of job " + jobId + " by " + owner);
    }

    private static boolean validId(String jobId) {
        return jobId != null && jobId.matches("[A-Za-z0-9._-]{1,64}");
    }

    private static Response problem(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
