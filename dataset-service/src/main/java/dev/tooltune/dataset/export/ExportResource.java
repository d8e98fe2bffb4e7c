package dev.tooltune.dataset.export;

import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.dataset.Dataset;
import dev.tooltune.dataset.version.DatasetVersion;
import dev.tooltune.dataset.version.Versions;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/datasets/{datasetId}/versions/{version}")
@Tag(name = "Export and split")
public class ExportResource {

    @Inject
    CallerTenant tenant;
    public static final String JSONL = "application/x-ndjson";
    /** Number of lines (examples) in the export body. */
    public static final String COUNT_HEADER = "X-Tooltune-Example-Count";
    /** Lower-case hex SHA-256 of the exact bytes of the export body. */
    public static final String SHA256_HEADER = "X-Tooltune-Content-SHA256";

    @Inject
    AgroalDataSource dataSource;

    /** Sizes of a split, and which examples are in its eval part. */
    public record SplitView(int version, long seed, double evalRatio, boolean validOnly, long total, long train, long eval,
                            List<Long> evalExampleIds) {}

    @GET
    @Path("export")
    @Produces(JSONL)
    @Operation(summary = "Export a version as JSONL (canonical OpenAI chat format), streamed",
            description = "With split=train or split=eval, only that part of the deterministic split given by seed and evalRatio. "
                    + "Headers X-Tooltune-Example-Count and X-Tooltune-Content-SHA256 say how many lines the body has and "
                    + "the SHA-256 of its bytes, so a consumer detects a truncated stream. With training=true an unfrozen "
                    + "version is refused (409): training uses frozen versions only.")
    public Response export(@RestPath long datasetId, @RestPath String version,
                           @Parameter(description = "train or eval; absent: the whole version") @RestQuery String split,
                           @RestQuery @DefaultValue("42") long seed,
                           @RestQuery @DefaultValue("0.1") double evalRatio,
                           @Parameter(description = "leave out examples stored invalid (lenient imports with keepInvalid)")
                           @RestQuery @DefaultValue("false") boolean validOnly,
                           @Parameter(description = "the export is training data: refuse (409) a version that is not frozen")
                           @RestQuery @DefaultValue("false") boolean training) throws IOException {
        EvalSplit evalSplit = EvalSplit.parse(split, seed, evalRatio);
        Target target = target(tenant.id(), datasetId, version);
        if (training && !target.frozen) {
            throw ApiException.conflict("version " + target.number + " of dataset " + datasetId
                    + " is not frozen; training uses frozen versions only (POST .../versions/" + target.number + "/freeze)");
        }
        String validFilter = validOnly ? " and e.valid" : "";
        // Versions never change, so a first pass gives the count and checksum of exactly what the second streams.
        MessageDigest digest = sha256();
        long[] count = {0};
        forEachBody(target, evalSplit, validFilter, body -> {
            digest.update(body.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
            count[0]++;
        });
        StreamingOutput body = output -> {
            BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(output, StandardCharsets.UTF_8), 1 << 16);
            forEachBody(target, evalSplit, validFilter, line -> {
                writer.write(line);
                writer.write('\n');
            });
            writer.flush();
        };
        String suffix = evalSplit == null ? "" : "-" + evalSplit.part().name().toLowerCase();
        return Response.ok(body, JSONL)
                .header("Content-Disposition", "attachment; filename=\"" + target.name + "-v" + target.number + suffix + ".jsonl\"")
                .header(COUNT_HEADER, count[0])
                .header(SHA256_HEADER, HexFormat.of().formatHex(digest.digest()))
                .build();
    }

    private interface BodyConsumer {
        void accept(String body) throws IOException;
    }

    private void forEachBody(Target target, EvalSplit evalSplit, String validFilter, BodyConsumer consumer) throws IOException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = exportQuery(connection, target.versionId, evalSplit, validFilter)) {
                statement.setFetchSize(1000);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        consumer.accept(rs.getString(1));
                    }
                }
            } finally {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw new IOException("export of version " + target.number + " failed: " + e.getMessage(), e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @GET
    @Path("split")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The deterministic train/eval split for a seed and ratio",
            description = "Same seed and ratio, same split. Export a part with export?split=train|eval&seed=..&evalRatio=..")
    public SplitView split(@RestPath long datasetId, @RestPath String version,
                           @RestQuery @DefaultValue("42") long seed,
                           @RestQuery @DefaultValue("0.1") double evalRatio,
                           @RestQuery @DefaultValue("false") boolean validOnly) {
        EvalSplit.checkRatio(evalRatio);
        Target target = target(tenant.id(), datasetId, version);
        String validFilter = validOnly ? " and e.valid" : "";
        try (Connection connection = dataSource.getConnection()) {
            long total = countMembers(connection, target.versionId, validFilter);
            long evalCount = EvalSplit.evalCount(total, evalRatio);
            List<Long> evalIds = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement(
                    "select example_id from (" + EvalSplit.rankedMembers(validFilter) + ") r where r.rank <= ? order by r.position")) {
                statement.setString(1, Long.toString(seed));
                statement.setLong(2, target.versionId);
                statement.setLong(3, evalCount);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        evalIds.add(rs.getLong(1));
                    }
                }
            }
            return new SplitView(target.number, seed, evalRatio, validOnly, total, total - evalCount, evalCount, evalIds);
        } catch (SQLException e) {
            throw new ApiException(500, "split failed: " + e.getMessage(), null);
        }
    }

    private record Target(long versionId, int number, String name, boolean frozen) {}

    private static Target target(String tenantId, long datasetId, String version) {
        return QuarkusTransaction.requiringNew().call(() -> {
            DatasetVersion found = Versions.require(tenantId, datasetId, version);
            Dataset dataset = Dataset.findById(datasetId);
            return new Target(found.id, found.number, dataset.name, found.frozen());
        });
    }

    private static long countMembers(Connection connection, long versionId, String validFilter) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "select count(*) from version_example ve join example e on e.id = ve.example_id where ve.version_id = ?" + validFilter)) {
            statement.setLong(1, versionId);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static PreparedStatement exportQuery(Connection connection, long versionId, EvalSplit split, String validFilter) throws SQLException {
        if (split == null) {
            PreparedStatement statement = connection.prepareStatement("""
                    select e.body from version_example ve join example e on e.id = ve.example_id
                    where ve.version_id = ?""" + validFilter + " order by ve.position");
            statement.setLong(1, versionId);
            return statement;
        }
        long evalCount = EvalSplit.evalCount(countMembers(connection, versionId, validFilter), split.evalRatio());
        String comparison = split.part() == EvalSplit.Part.EVAL ? "r.rank <= ?" : "r.rank > ?";
        PreparedStatement statement = connection.prepareStatement("select e.body from (" + EvalSplit.rankedMembers(validFilter)
                + ") r join example e on e.id = r.example_id where " + comparison + " order by r.position");
        statement.setString(1, Long.toString(split.seed()));
        statement.setLong(2, versionId);
        statement.setLong(3, evalCount);
        return statement;
    }
}
