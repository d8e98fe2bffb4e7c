package dev.tooltune.trainer.data;

import dev.tooltune.contracts.InternalCalls;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.ProcessingException;
import java.io.File;
import java.time.temporal.ChronoUnit;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * dataset-service's API as the trainer uses it (REST client {@code dataset-service}: URL, timeouts in
 * application.properties). A call that could not reach the service ({@link ProcessingException}: refused, reset,
 * timed out) is tried again three times, two seconds apart: a restarting or briefly overloaded dataset-service must
 * not fail a job. An answer, whatever its status, is not retried; {@link DatasetClient} maps it.
 */
@RegisterRestClient(configKey = "dataset-service")
@Path("/datasets/{datasetId}/versions/{version}")
@ClientHeaderParam(name = InternalCalls.TOKEN_HEADER, value = "{dev.tooltune.trainer.InternalToken.value}",
        required = false)
public interface DatasetServiceApi {

    /** What the trainer reads of a version. */
    record VersionState(boolean frozen) {
    }

    @GET
    @Retry(maxRetries = 3, delay = 2, delayUnit = ChronoUnit.SECONDS, retryOn = ProcessingException.class)
    VersionState version(@RestHeader("X-Tooltune-Tenant") String tenantId, @RestPath String datasetId,
            @RestPath int version);

    /**
     * The version's training export (or one part of its split: {@code split}, {@code seed}, {@code evalRatio} all
     * set, or all null), streamed by the client into a temporary file, never held in memory.
     */
    @GET
    @Path("/export")
    @Retry(maxRetries = 3, delay = 2, delayUnit = ChronoUnit.SECONDS, retryOn = ProcessingException.class)
    File export(@RestHeader("X-Tooltune-Tenant") String tenantId, @RestPath String datasetId, @RestPath int version,
            @RestQuery String split, @RestQuery Long seed, @RestQuery Double evalRatio);
}
