package dev.tooltune.gateway.upstream;

import dev.tooltune.contracts.InternalCalls;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.Encoded;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.io.File;
import java.io.InputStream;
import java.time.temporal.ChronoUnit;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.rest.client.annotation.ClientHeaderParam;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestHeader;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

/**
 * dataset-service's API as the gateway calls it (REST client {@code dataset-service}: URL and timeouts in
 * application.properties), on behalf of a tenant ({@code X-Tooltune-Tenant}) and with the internal token.
 *
 * <p>Every method answers the upstream's {@link Response} as it is, whatever its status (the default exception
 * mapper is off), so its status, headers and error body reach the caller; its body is a stream, read as it arrives
 * (a {@code Response} is never buffered whole by the client). Bodies sent are streams too: a {@link File} is sent from
 * disk, an {@link InputStream} as it is read. Only GETs are tried again, and only when the service could not be
 * reached ({@link ProcessingException}: refused, reset, timed out): an answer is never retried, nor is a call that
 * changes something.
 */
@RegisterRestClient(configKey = "dataset-service")
@ClientHeaderParam(name = InternalCalls.TOKEN_HEADER, value = "{dev.tooltune.gateway.upstream.Upstream.internalToken}",
        required = false)
@Produces(MediaType.WILDCARD)
public interface DatasetServiceApi {

    @POST
    @Path("/datasets")
    @Consumes(MediaType.APPLICATION_JSON)
    Response createDataset(@RestHeader(Upstream.TENANT_HEADER) String tenant, String body);

    /** Imports a file (JSONL) into the dataset, streamed from disk. */
    @POST
    @Path("/datasets/{datasetId}/imports")
    @Consumes("application/x-ndjson")
    Response importFile(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath String datasetId,
                        @RestQuery String mode, @RestQuery String format, @RestQuery boolean wait, File file);

    @POST
    @Path("/datasets/{datasetId}/versions/{version}/freeze")
    Response freeze(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath String datasetId,
                    @RestPath int version);

    @DELETE
    @Path("/datasets/{datasetId}")
    Response deleteDataset(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath String datasetId,
                           @RestQuery boolean force);

    /** The version's examples as JSONL: the body is streamed. */
    @GET
    @Path("/datasets/{datasetId}/versions/{version}/export")
    @Retry(maxRetries = 3, delay = 1, delayUnit = ChronoUnit.SECONDS, retryOn = ProcessingException.class)
    Response export(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath String datasetId,
                    @RestPath int version);

    // Any path of dataset-service's own API ({@code /v1/datasets/**} of the gateway): the path comes encoded as
    // the client sent it, the query as its parameters.

    @GET
    @Path("/{path}")
    @Retry(maxRetries = 3, delay = 1, delayUnit = ChronoUnit.SECONDS, retryOn = ProcessingException.class)
    Response get(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath @Encoded String path,
                 @RestQuery MultivaluedMap<String, String> query);

    @POST
    @Path("/{path}")
    @Consumes(MediaType.WILDCARD)
    Response post(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath @Encoded String path,
                  @RestQuery MultivaluedMap<String, String> query, @RestHeader("Content-Type") String type,
                  InputStream body);

    @PUT
    @Path("/{path}")
    @Consumes(MediaType.WILDCARD)
    Response put(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath @Encoded String path,
                 @RestQuery MultivaluedMap<String, String> query, @RestHeader("Content-Type") String type,
                 InputStream body);

    @DELETE
    @Path("/{path}")
    Response delete(@RestHeader(Upstream.TENANT_HEADER) String tenant, @RestPath @Encoded String path,
                    @RestQuery MultivaluedMap<String, String> query);
}
