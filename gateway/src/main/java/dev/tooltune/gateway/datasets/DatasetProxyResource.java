package dev.tooltune.gateway.datasets;

import io.quarkus.security.Authenticated;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.tenancy.Caller;
import dev.tooltune.gateway.upstream.InternalHttp;
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
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
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
    GatewayConfig config;
    @Inject
    InternalHttp http;
    @Context
    UriInfo uri;

    @GET
    @Path("/datasets")
    @Operation(summary = "The tenant's datasets")
    public Response listDatasets() {
        return forward("GET", "/datasets", null, null);
    }

    @POST
    @Path("/datasets")
    @Operation(summary = "Create a dataset")
    public Response createDataset(@HeaderParam("Content-Type") String type, InputStream body) {
        return forward("POST", "/datasets", type, body);
    }

    @GET
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "GET /datasets/... of dataset-service")
    public Response get(@RestPath String rest) {
        return forward("GET", "/datasets/" + rest, null, null);
    }

    @POST
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "POST /datasets/... of dataset-service (imports: the body is the JSONL file)")
    public Response post(@RestPath String rest, @HeaderParam("Content-Type") String type, InputStream body) {
        return forward("POST", "/datasets/" + rest, type, body);
    }

    @PUT
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "PUT /datasets/... of dataset-service (replace an example)")
    public Response put(@RestPath String rest, @HeaderParam("Content-Type") String type, InputStream body) {
        return forward("PUT", "/datasets/" + rest, type, body);
    }

    @DELETE
    @Path("/datasets/{rest: .+}")
    @Operation(summary = "DELETE /datasets/... of dataset-service")
    public Response delete(@RestPath String rest) {
        return forward("DELETE", "/datasets/" + rest, null, null);
    }

    @GET
    @Path("/dataset-imports/{id}")
    @Operation(summary = "An import job (dataset-service's /imports/{id})")
    public Response importJob(@RestPath String id) {
        return forward("GET", "/imports/" + id, null, null);
    }

    private Response forward(String method, String path, String contentType, InputStream body) {
        String query = uri.getRequestUri().getRawQuery();
        HttpRequest.Builder request = http.request(config.datasetService().url(),
                path + (query == null ? "" : "?" + query), caller.tenantId());
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofInputStream(() -> body));
        HttpResponse<InputStream> answer;
        try {
            answer = http.client().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw OpenAiException.upstream("dataset-service", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OpenAiException.upstream("dataset-service", "interrupted");
        }
        StreamingOutput copy = output -> {
            try (InputStream in = answer.body()) {
                in.transferTo(output);
            }
        };
        Response.ResponseBuilder response = Response.status(answer.statusCode()).entity(copy);
        answer.headers().firstValue("Content-Type").ifPresent(response::type);
        answer.headers().firstValue("Location").ifPresent(location ->
                response.header("Location", "/v1" + location.replaceFirst("^https?://[^/]+", "")
                        .replaceFirst("^/imports/", "/dataset-imports/")));
        return response.build();
    }
}
