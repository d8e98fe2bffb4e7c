package dev.tooltune.dataset.importing;

import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/imports")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Imports")
public class ImportJobResource {

    @Inject
    CallerTenant tenant;

    @GET
    @Path("{importId}")
    @Operation(summary = "An import job: progress while it runs, the report with problems by line when done")
    public ImportJobView get(@RestPath long importId) {
        return ImportJobs.require(tenant.id(), importId);
    }
}
