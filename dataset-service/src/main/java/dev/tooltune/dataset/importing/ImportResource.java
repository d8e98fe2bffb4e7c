package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.dataset.Dataset;
import dev.tooltune.dataset.dataset.Datasets;
import dev.tooltune.dataset.tenant.CallerTenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
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
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

@Path("/datasets/{datasetId}/imports")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Imports", description = "Upload JSONL files into new dataset versions")
public class ImportResource {
    private static final Logger LOG = Logger.getLogger(ImportResource.class);

    @Inject
    ImportRunner runner;

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
            @Parameter(description = "strict: any invalid line rejects the file. lenient: valid lines are stored, the rest reported")
            @RestQuery @DefaultValue("strict") String mode,
            @Parameter(description = "openai (default), sharegpt (hermes), xlam (apigen) or auto (decided per line)")
            @RestQuery @DefaultValue("openai") String format,
            @Parameter(description = "lenient only: also store examples that parse but fail validation, flagged invalid")
            @RestQuery @DefaultValue("false") boolean keepInvalid,
            @Parameter(description = "leave exact duplicates out (they are always reported)")
            @RestQuery @DefaultValue("false") boolean dropDuplicates,
            @Parameter(description = "start from the latest version's examples and add the file's")
            @RestQuery @DefaultValue("false") boolean append,
            @Parameter(description = "answer only when the import has finished")
            @RestQuery @DefaultValue("false") boolean wait,
            @Parameter(description = "a client-chosen key (up to 200 characters): a retry with the same key returns the first import "
                    + "instead of importing again")
            @org.jboss.resteasy.reactive.RestHeader("Idempotency-Key") String idempotencyKey,
            InputStream body) throws IOException, InterruptedException {
        ImportJob.Mode parsedMode = parseMode(mode);
        ImportFormat parsedFormat = ImportFormat.parse(format);
        if (keepInvalid && parsedMode == ImportJob.Mode.STRICT) {
            throw ApiException.badRequest("keepInvalid=true needs mode=lenient: a strict import stores nothing when a line is invalid");
        }
        String tenantId = tenant.id();
        if (QuarkusTransaction.requiringNew().call(() -> Dataset.findOwned(tenantId, datasetId)) == null) {
            throw ApiException.notFound("dataset " + datasetId + " does not exist");
        }
        if (idempotencyKey != null && idempotencyKey.length() > 200) {
            throw ApiException.badRequest("Idempotency-Key is longer than 200 characters");
        }
        ImportJob earlier = idempotencyKey == null ? null : QuarkusTransaction.requiringNew().call(() ->
                ImportJob.<ImportJob>find("datasetId = ?1 and idempotencyKey = ?2", datasetId, idempotencyKey).firstResult());
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
            created.mode = parsedMode;
            created.format = parsedFormat.name();
            created.keepInvalid = keepInvalid;
            created.dropDuplicates = dropDuplicates;
            created.append = append;
            created.bytesTotal = bytes;
            created.problems = "[]";
            created.createdAt = Instant.now();
            created.owner = runner.replicaId();
            created.leaseUntil = runner.leaseUntil();
            created.idempotencyKey = idempotencyKey;
            created.persist();
            return created;
            });
        } catch (RuntimeException e) {
            // a concurrent request with the same Idempotency-Key won the unique index: answer with its job
            Files.deleteIfExists(spooled);
            ImportJob winner = idempotencyKey == null ? null : QuarkusTransaction.requiringNew().call(() ->
                    ImportJob.<ImportJob>find("datasetId = ?1 and idempotencyKey = ?2", datasetId, idempotencyKey).firstResult());
            if (winner == null) {
                throw e;
            }
            return Response.ok(ImportJobView.of(winner)).location(URI.create("/imports/" + winner.id)).build();
        }
        LOG.infof("import %d into dataset %d: received %d bytes", job.id, datasetId, bytes);
        CompletableFuture<Void> done = runner.submit(job.id, spooled);
        URI location = URI.create("/imports/" + job.id);
        if (!wait) {
            return Response.accepted(ImportJobView.of(job)).location(location).build();
        }
        try {
            done.get();
        } catch (ExecutionException e) {
            LOG.errorf(e, "import %d", job.id);
        }
        ImportJobView finished = view(tenantId, job.id);
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

    /** The import job, when it imports into one of the tenant's datasets. */
    static ImportJobView view(String tenantId, long importId) {
        ImportJob job = QuarkusTransaction.requiringNew().call(() -> {
            ImportJob found = ImportJob.findById(importId);
            return found == null || Dataset.findOwned(tenantId, found.datasetId) == null ? null : found;
        });
        if (job == null) {
            throw ApiException.notFound("import " + importId + " does not exist");
        }
        return ImportJobView.of(job);
    }

    private static ImportJob.Mode parseMode(String mode) {
        try {
            return ImportJob.Mode.valueOf(mode.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("unknown mode \"" + mode + "\"; use strict or lenient");
        }
    }
}
