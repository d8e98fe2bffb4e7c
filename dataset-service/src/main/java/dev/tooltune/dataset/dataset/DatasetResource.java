package dev.tooltune.dataset.dataset;

import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/datasets")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Datasets")
public class DatasetResource {

    @Inject
    CallerTenant tenant;

    public record CreateDataset(
            @NotBlank @Size(max = 200) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]*", message = "use letters, digits, '.', '_' and '-'") String name,
            @Size(max = 2000) String description) {}

    /** A dataset with a summary of its versions. */
    public record DatasetView(long id, String name, String description, Instant createdAt,
                              int versionCount, Integer latestVersion, Integer latestFrozenVersion) {

        static DatasetView of(Dataset dataset) {
            Datasets.VersionSummary versions = Datasets.versions(dataset.id);
            return new DatasetView(dataset.id, dataset.name, dataset.description, dataset.createdAt, versions.count(),
                    versions.latest(), versions.latestFrozen());
        }
    }

    @POST
    @Transactional
    @Operation(summary = "Create an empty dataset; import a file to give it a first version")
    public Response create(@Valid CreateDataset request) {
        if (Dataset.findByName(tenant.id(), request.name()) != null) {
            throw ApiException.conflict("a dataset named \"" + request.name() + "\" already exists");
        }
        Dataset dataset = new Dataset();
        dataset.tenantId = tenant.id();
        dataset.name = request.name();
        dataset.description = request.description();
        dataset.createdAt = Instant.now();
        dataset.persist();
        return Response.created(URI.create("/datasets/" + dataset.id)).entity(DatasetView.of(dataset)).build();
    }

    @GET
    @Transactional
    @Operation(summary = "The tenant's datasets, oldest first")
    public List<DatasetView> list() {
        return Dataset.<Dataset>list("tenantId", io.quarkus.panache.common.Sort.by("id"), tenant.id()).stream().map(DatasetView::of).toList();
    }

    @GET
    @Path("{datasetId}")
    @Transactional
    public DatasetView get(@RestPath long datasetId) {
        return DatasetView.of(Datasets.require(tenant.id(), datasetId));
    }

    @DELETE
    @Path("{datasetId}")
    @Transactional
    @Operation(summary = "Delete a dataset with all its versions",
            description = "Refused (409) while a version is frozen, since training jobs may refer to it, unless force=true.")
    public Response delete(@RestPath long datasetId, @RestQuery @DefaultValue("false") boolean force) {
        Dataset dataset = Datasets.require(tenant.id(), datasetId);
        long frozen = Datasets.frozenVersions(datasetId);
        if (frozen > 0 && !force) {
            throw ApiException.conflict("dataset " + datasetId + " has " + frozen + " frozen version(s) that training may use; delete with force=true to remove it anyway");
        }
        dataset.delete();
        return Response.noContent().build();
    }
}
