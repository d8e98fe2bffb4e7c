package dev.tooltune.dataset.version;

import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.dataset.Datasets;
import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/datasets/{datasetId}/versions")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Versions", description = "Immutable numbered versions of a dataset; {version} is a number or 'latest'")
public class VersionResource {

    @Inject
    CallerTenant tenant;

    @GET
    @Transactional
    @Operation(summary = "The dataset's versions, oldest first")
    public List<VersionView> list(@RestPath long datasetId) {
        Datasets.require(tenant.id(), datasetId);
        return DatasetVersion.listFor(datasetId).stream().map(VersionView::of).toList();
    }

    @GET
    @Path("{version}")
    @Transactional
    public VersionView get(@RestPath long datasetId, @RestPath String version) {
        return VersionView.of(Versions.require(tenant.id(), datasetId, version));
    }

    @POST
    @Path("{version}/freeze")
    @Transactional
    @Operation(summary = "Freeze a version for training",
            description = "A frozen version cannot be deleted. Only versions without invalid examples can be frozen. Idempotent.")
    public VersionView freeze(@RestPath long datasetId, @RestPath String version) {
        DatasetVersion found = Versions.require(tenant.id(), datasetId, version);
        if (found.invalidCount > 0) {
            throw ApiException.conflict("version " + found.number + " has " + found.invalidCount
                    + " invalid example(s); replace or delete them (each edit makes a new version) and freeze that version");
        }
        if (found.frozenAt == null) {
            found.frozenAt = Instant.now();
        }
        return VersionView.of(found);
    }

    @DELETE
    @Path("{version}")
    @Transactional
    @Operation(summary = "Delete an unfrozen version", description = "Examples no other version uses are deleted with it.")
    public Response delete(@RestPath long datasetId, @RestPath String version) {
        DatasetVersion found = Versions.require(tenant.id(), datasetId, version);
        if (found.frozen()) {
            throw ApiException.conflict("version " + found.number + " is frozen; training may use it, so it cannot be deleted");
        }
        found.delete();
        Panache.getEntityManager().flush();
        Panache.getEntityManager().createNativeQuery("""
                delete from example e where e.dataset_id = :dataset
                and not exists (select 1 from version_example ve where ve.example_id = e.id)""")
                .setParameter("dataset", datasetId)
                .executeUpdate();
        return Response.noContent().build();
    }
}
