package dev.tooltune.gateway.files;

import io.quarkus.security.Authenticated;
import dev.tooltune.gateway.api.ListPage;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.tenancy.Caller;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * OpenAI's Files API. An upload with purpose {@code fine-tune} is imported strictly into a new dataset of the
 * tenant in dataset-service and that version is frozen, so a job can train on exactly these examples.
 */
@Authenticated
@Path("/v1/files")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Files", description = "Training files (OpenAI-compatible); each is a frozen dataset version")
public class FilesResource {
    private static final Logger LOG = Logger.getLogger(FilesResource.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How many line problems an error message lists before "and N more". */
    private static final int PROBLEMS_SHOWN = 5;

    @Inject
    Caller caller;
    @Inject
    DatasetService datasets;
    @Inject
    com.fasterxml.jackson.databind.ObjectMapper json;

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Upload a training file (JSONL, OpenAI chat format with tools)")
    public FileView upload(@RestForm("file") FileUpload file, @RestForm("purpose") String purpose) {
        if (purpose == null || purpose.isBlank()) {
            throw OpenAiException.invalidRequest("purpose", "missing_required_parameter",
                    "Missing required parameter: 'purpose'.");
        }
        if (!"fine-tune".equals(purpose)) {
            throw OpenAiException.invalidRequest("purpose", "invalid_value", "Invalid purpose '" + purpose
                    + "': this server accepts only 'fine-tune'.");
        }
        if (file == null) {
            throw OpenAiException.invalidRequest("file", "missing_required_parameter",
                    "Missing required parameter: 'file'.");
        }
        String tenant = caller.tenantId();
        String fileId = "file-" + HexFormat.of().formatHex(randomBytes(12));
        String filename = file.fileName() == null || file.fileName().isBlank() ? "upload.jsonl" : file.fileName();
        String datasetId = datasets.createDataset(tenant, fileId, "uploaded through the gateway as " + filename);
        DatasetService.ImportResult result;
        try {
            result = datasets.importStrict(tenant, datasetId, file.uploadedFile());
            if (result.rejected()) {
                throw invalidFile(result, keepReport(tenant, filename, result));
            }
            datasets.freeze(tenant, datasetId, result.version());
        } catch (RuntimeException e) {
            try {
                datasets.deleteDataset(tenant, datasetId);
            } catch (RuntimeException cleanup) {
                LOG.warnf("could not delete dataset %s of a failed upload: %s", datasetId, cleanup.getMessage());
            }
            throw e;
        }
        DatasetService.ImportResult imported = result;
        return FileView.of(io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() ->
                store(fileId, tenant, filename, file.size(), datasetId, imported)));
    }

    private static FileRecord store(String fileId, String tenant, String filename, long bytes, String datasetId,
                     DatasetService.ImportResult result) {
        FileRecord record = new FileRecord();
        record.id = fileId;
        record.tenantId = tenant;
        record.filename = filename;
        record.purpose = "fine-tune";
        record.bytes = bytes;
        record.datasetId = datasetId;
        record.datasetVersion = result.version();
        record.examples = (int) result.examples();
        record.createdAt = Instant.now();
        record.persist();
        return record;
    }

    @GET
    @Operation(summary = "The tenant's files, newest first")
    @Transactional
    public ListPage<FileView> list(@RestQuery String purpose, @RestQuery String after, @RestQuery Integer limit) {
        int pageSize = ListPage.limit(limit, 10_000);
        String tenant = caller.tenantId();
        StringBuilder query = new StringBuilder("tenantId = :tenant");
        Map<String, Object> parameters = new java.util.HashMap<>(Map.of("tenant", tenant));
        if (purpose != null) {
            query.append(" and purpose = :purpose");
            parameters.put("purpose", purpose);
        }
        if (after != null) {
            FileRecord cursor = FileRecord.owned(tenant, after).orElseThrow(() ->
                    OpenAiException.notFound("after", "No such File object: " + after));
            query.append(" and (createdAt < :at or (createdAt = :at and id < :id))");
            parameters.put("at", cursor.createdAt);
            parameters.put("id", cursor.id);
        }
        List<FileRecord> rows = FileRecord.<FileRecord>find(query + " order by createdAt desc, id desc", parameters)
                .page(0, pageSize + 1).list();
        return ListPage.of(rows.stream().map(FileView::of).collect(Collectors.toList()), pageSize, FileView::id);
    }

    @GET
    @Path("/{fileId}")
    @Operation(summary = "One file")
    @Transactional
    public FileView retrieve(@RestPath String fileId) {
        return FileView.of(require(fileId));
    }

    @GET
    @Path("/{fileId}/content")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "The file's examples as JSONL (the canonical form dataset-service stored)")
    public Response content(@RestPath String fileId) {
        FileRecord file = inTransaction(fileId);
        InputStream export = datasets.export(caller.tenantId(), file.datasetId, file.datasetVersion);
        StreamingOutput body = output -> {
            try (InputStream in = export) {
                in.transferTo(output);
            }
        };
        return Response.ok(body, "application/jsonl").build();
    }

    @DELETE
    @Path("/{fileId}")
    @Operation(summary = "Delete a file and its dataset")
    public Map<String, Object> delete(@RestPath String fileId) {
        FileRecord file = inTransaction(fileId);
        datasets.deleteDataset(caller.tenantId(), file.datasetId);
        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(() -> FileRecord.deleteById(file.id));
        return Map.of("id", file.id, "object", "file", "deleted", true);
    }

    private FileRecord inTransaction(String fileId) {
        return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> require(fileId));
    }

    private FileRecord require(String fileId) {
        return FileRecord.owned(caller.tenantId(), fileId).orElseThrow(() ->
                OpenAiException.notFound("id", "No such File object: " + fileId));
    }

    @GET
    @Path("/import_reports/{reportId}")
    @Operation(summary = "The full import report of a refused upload (its error answer links it)")
    @Transactional
    public Map<String, Object> importReport(@RestPath String reportId) {
        FileImportReport report = FileImportReport.owned(caller.tenantId(), reportId).orElseThrow(() ->
                OpenAiException.notFound("id", "No such import report: " + reportId));
        Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("id", report.id);
        view.put("object", "file.import_report");
        view.put("filename", report.filename);
        view.put("created_at", report.createdAt.getEpochSecond());
        view.put("problem_count", report.problemCount);
        view.put("message", report.message);
        try {
            view.put("problems", json.readTree(report.problems));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a stored report is JSON", e);
        }
        return view;
    }

    /** Stores the refused upload's report (in its own transaction: the upload itself fails); returns its id. */
    private String keepReport(String tenant, String filename, DatasetService.ImportResult result) {
        if (result.reportedProblems() == null || result.reportedProblems().isEmpty()) {
            return null;
        }
        String id = "filerep-" + HexFormat.of().formatHex(randomBytes(12));
        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(() -> {
            FileImportReport report = new FileImportReport();
            report.id = id;
            report.tenantId = tenant;
            report.filename = filename;
            report.problemCount = result.problemCount();
            report.message = result.message() == null || result.message().length() <= 4000 ? result.message()
                    : result.message().substring(0, 4000);
            report.problems = result.reportedProblems().toString();
            report.createdAt = Instant.now();
            report.persist();
        });
        return id;
    }

    /** OpenAI's answer to a bad training file: what is wrong, on which line, and where the whole report is. */
    private static OpenAiException invalidFile(DatasetService.ImportResult result, String reportId) {
        StringBuilder message = new StringBuilder("Invalid file format. ");
        if (result.problems().isEmpty()) {
            message.append(result.message() == null ? "The file was rejected." : result.message());
        } else {
            message.append(result.problemCount()).append(result.problemCount() == 1 ? " problem: " : " problems: ");
            message.append(result.problems().stream().limit(PROBLEMS_SHOWN)
                    .map(p -> "Line " + p.line() + (p.path() == null || p.path().equals("$") ? "" : ", " + p.path())
                            + ": " + p.reason())
                    .collect(Collectors.joining("; ")));
            if (result.problemCount() > PROBLEMS_SHOWN) {
                message.append("; and ").append(result.problemCount() - PROBLEMS_SHOWN).append(" more");
            }
            message.append('.');
        }
        if (reportId != null) {
            message.append(" The full report: GET /v1/files/import_reports/").append(reportId).append('.');
        }
        return OpenAiException.invalidRequest("file", "invalid_file_format", message.toString());
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
