package dev.tooltune.dataset.importing;

import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.dataset.Dataset;
import dev.tooltune.dataset.dataset.Datasets;
import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/datasets/{datasetId}/imports")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Imports", description = "Upload JSONL files into new dataset versions")
public class ImportResource {
    private static final Logger LOG = Logger.getLogger(ImportResource.class);

    @Inject
    ImportRunner runner;

    @Inject
    ImportLeases leases;

    @Inject
    CallerTenant tenant;

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Import a JSONL file as a new version",
            description = "The body is the file itself (curl --data-binary @file.jsonl). It is spooled to disk and "
                    + "imported in the background: the answer is 202 with the import job, whose progress can be polled "
                    + "at /imports/{id}. With wait=true the call returns when the import is done: 201 with the report "
                    + "when a version was written, 422 when the file was rejected.")
    @RequestBody(description = "JSON Lines, one example per line (UTF-8; BOM, CRLF and blank lines are fine)")
    public Response importFile(
            @RestPath long datasetId,
            @Parameter(description = "strict (default): any invalid line rejects the file. lenient: valid lines are stored, the rest reported")
            @RestQuery String mode,
            @Parameter(description = "openai (default), sharegpt (hermes), xlam (apigen) or auto (decided per line)")
            @RestQuery String format,
            @Parameter(description = "true: (lenient only) also store examples that parse but fail validation, flagged invalid")
            @RestQuery String keepInvalid,
            @Parameter(description = "true: leave exact duplicates out (they are always reported)")
            @RestQuery String dropDuplicates,
            @Parameter(description = "true: start from the latest version's examples and add the file's")
            @RestQuery String append,
            @Parameter(description = "a call argument the tool's schema does not declare: warn (default) or reject (a line error)")
            @RestQuery String undeclaredArguments,
            @Parameter(description = "true: rewrite non-standard schema types (dict, float, tuple, any, int, bool, str, list) "
                    + "to JSON Schema, with a warning per rewrite; false (default): they are line errors")
            @RestQuery String normalizeSchemaTypes,
            @Parameter(description = "true: answer only when the import has finished")
            @RestQuery String wait,
            @Parameter(description = "a client-chosen key (up to 200 characters): a retry with the same key returns the first import "
                    + "instead of importing again")
            @org.jboss.resteasy.reactive.RestHeader("Idempotency-Key") String idempotencyKey,
            InputStream body) throws IOException, InterruptedException {
        ImportOptions options = ImportOptions.parse(mode, format, keepInvalid, dropDuplicates, append, undeclaredArguments, normalizeSchemaTypes);
        boolean waitForResult = ImportOptions.flag("wait", wait);
        String tenantId = tenant.id();
        if (QuarkusTransaction.requiringNew().call(() -> Dataset.findOwned(tenantId, datasetId)) == null) {
            throw ApiException.notFound("dataset " + datasetId + " does not exist");
        }
        if (idempotencyKey != null && idempotencyKey.length() > 200) {
            throw ApiException.badRequest("Idempotency-Key is longer than 200 characters");
        }
        ImportJob earlier = ImportJobs.withIdempotencyKey(datasetId, idempotencyKey);
        if (earlier != null) {
            body.transferTo(java.io.OutputStream.nullOutputStream());
            return Response.ok(ImportJobView.of(earlier)).location(URI.create("/imports/" + earlier.id)).build();
        }
        java.nio.file.Path spooled = Files.createTempFile("tooltune-import-", ".jsonl");
        long bytes;
        try {
            bytes = ImportRunner.spool(body, spooled);
        } catch (IOException e) {
            Files.deleteIfExists(spooled);
            throw e;
        }
        ImportJob job;
        try {
            job = QuarkusTransaction.requiringNew().call(() -> {
            ImportJob created = new ImportJob();
            created.datasetId = datasetId;
            created.state = ImportJob.State.QUEUED;
            created.setOptions(options);
            created.bytesTotal = bytes;
            created.problems = "[]";
            created.createdAt = Instant.now();
            created.owner = leases.replicaId();
            created.leaseUntil = leases.leaseUntil();
            created.idempotencyKey = idempotencyKey;
            created.persist();
            return created;
            });
        } catch (RuntimeException e) {
            // a concurrent request with the same Idempotency-Key won the unique index: answer with its job
            Files.deleteIfExists(spooled);
            ImportJob winner = ImportJobs.withIdempotencyKey(datasetId, idempotencyKey);
            if (winner == null) {
                throw e;
            }
            return Response.ok(ImportJobView.of(winner)).location(URI.create("/imports/" + winner.id)).build();
        }
        LOG.infof("import %d into dataset %d: received %d bytes", job.id, datasetId, bytes);
        CompletableFuture<Void> done = runner.submit(job.id, spooled);
        URI location = URI.create("/imports/" + job.id);
        if (!waitForResult) {
            return Response.accepted(ImportJobView.of(job)).location(location).build();
        }
        try {
            done.get();
        } catch (ExecutionException e) {
            LOG.errorf(e, "import %d", job.id);
        }
        ImportJobView finished = ImportJobs.require(tenantId, job.id);
        int status = switch (finished.state()) {
            case SUCCEEDED -> 201;
            case REJECTED -> 422;
            default -> 500;
        };
        return Response.status(status).entity(finished).location(location).build();
    }

    @GET
    @Operation(summary = "The imports into a dataset, newest first")
    public List<ImportJobView> list(@RestPath long datasetId) {
        String tenantId = tenant.id();
        return QuarkusTransaction.requiringNew().call(() -> {
            Datasets.require(tenantId, datasetId);
            return ImportJob.<ImportJob>list("datasetId = ?1 order by id desc", datasetId).stream().map(ImportJobView::of).toList();
        });
    }
}
