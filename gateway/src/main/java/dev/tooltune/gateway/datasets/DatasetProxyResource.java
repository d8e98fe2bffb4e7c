package dev.tooltune.gateway.datasets;

import io.quarkus.security.Authenticated;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.tenancy.Caller;
import dev.tooltune.gateway.upstream.DatasetServiceApi;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.core.MultivaluedMap;
import java.io.InputStream;
import java.util.function.Supplier;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.resteasy.reactive.RestPath;

/**
 * ToolTune's own dataset API (dataset-service, see its README and OpenAPI document) under {@code /v1/datasets},
 * on behalf of the caller's tenant: {@code /v1/datasets/...} goes to {@code /datasets/...} with the same method,
 * query and body, and the answer comes back as it is. Tenant separation is dataset-service's (X-Tooltune-Tenant).
 * Import jobs are at {@code /v1/dataset-imports/{id}} (dataset-service's {@code /imports/{id}}).
 */
@Authenticated
@Path("/v1")
@Tag(name = "Datasets", description = "dataset-service's API for the caller's tenant: versions, examples, "
        + "imports, edits, splits, statistics, export (see dataset-service's OpenAPI document for the operations)")
public class DatasetProxyResource {
    @Inject
    Caller caller;
    @Inject
    @RestClient
    DatasetServiceApi api;
    @Context
    UriInfo uri;

    @GET
    @Path("/datasets")
    @Operation(summary = "The tenant's datasets")
    public Response listDatasets() {
        return forward(() -> api.get(caller.tenantId(), "datasets", query()));
    }

    @POST
    @Path("/datasets")
    @Operation(summary = "Create a dataset")
    public Response createDataset(@HeaderParam("Content-Type") String type, InputStream body) {
        return forward(() -> api.post(caller.tenantId(), "datasets", query(), type, body));
    }

    @GET
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "GET /datasets/... of dataset-service")
    public Response get(@RestPath String rest) {
        return forward(() -> api.get(caller.tenantId(), upstreamPath(), query()));
    }

    @POST
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "POST /datasets/... of dataset-service (imports: the body is the JSONL file)")
    public Response post(@RestPath String rest, @HeaderParam("Content-Type") String type, InputStream body) {
        return forward(() -> api.post(caller.tenantId(), upstreamPath(), query(), type, body));
    }

    @PUT
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "PUT /datasets/... of dataset-service (replace an example)")
    public Response put(@RestPath String rest, @HeaderParam("Content-Type") String type, InputStream body) {
        return forward(() -> api.put(caller.tenantId(), upstreamPath(), query(), type, body));
    }

    @DELETE
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "DELETE /datasets/... of dataset-service")
    public Response delete(@RestPath String rest) {
        return forward(() -> api.delete(caller.tenantId(), upstreamPath(), query()));
    }

    @GET
    @Path("/dataset-imports/{id}")
    @Operation(summary = "An import job (dataset-service's /imports/{id})")
    public Response importJob(@RestPath String id) {
        return forward(() -> api.get(caller.tenantId(), "imports/" + upstreamPath()
                .substring("dataset-imports/".length()), query()));
    }

    /** The request's path after {@code /v1/}, still encoded as the client sent it. */
    private String upstreamPath() {
        return uri.getRequestUri().getRawPath().substring("/v1/".length());
    }

    private MultivaluedMap<String, String> query() {
        return uri.getQueryParameters();
    }

    private Response forward(Supplier<Response> call) {
        Response answer;
        try {
            answer = call.get();
        } catch (ProcessingException e) {
            throw OpenAiException.upstream("dataset-service", e.toString());
        }
        InputStream body = answer.readEntity(InputStream.class);
        StreamingOutput copy = output -> {
            try (InputStream in = body) {
                in.transferTo(output);
            }
        };
        Response.ResponseBuilder response = Response.status(answer.getStatus()).entity(copy);
        if (answer.getHeaderString("Content-Type") != null) {
            response.type(answer.getHeaderString("Content-Type"));
        }
        String retryAfter = answer.getHeaderString("Retry-After"); // a 503 or 429 says when to come back
        if (retryAfter != null) {
            response.header("Retry-After", retryAfter);
        }
        String location = answer.getHeaderString("Location");
        if (location != null) {
            response.header("Location", "/v1" + location.replaceFirst("^https?://[^/]+", "")
                    .replaceFirst("^/imports/", "/dataset-imports/"));
        }
        return response.build();
    }
}
