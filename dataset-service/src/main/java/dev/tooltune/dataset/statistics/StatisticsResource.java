package dev.tooltune.dataset.statistics;

import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.version.DatasetVersion;
import dev.tooltune.dataset.version.Versions;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.ws.rs.DefaultValue;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/datasets/{datasetId}/versions/{version}/stats")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Statistics")
public class StatisticsResource {

    @Inject
    CallerTenant tenant;
    /** Up to this many missing token counts are counted before answering (a few seconds); more run in the background. */
    private static final long COUNT_WHILE_WAITING = 2000;
    private static final String MEMBERS = " from version_example ve join example e on e.id = ve.example_id where ve.version_id = ?";

    @Inject
    AgroalDataSource dataSource;

    @Inject
    TokenCounts tokenCounts;

    @GET
    @Operation(summary = "Examples, calls per tool, messages per example and a Gemma 3 token-length histogram",
            description = "Token counts are computed once per example and stored: in the background after an import, or here "
                    + "when few are missing. While counting is under way, tokens.pending says how many are not counted yet "
                    + "(the token figures then cover the counted ones); waitForTokens=true waits for all.")
    public VersionStatistics get(@RestPath long datasetId, @RestPath String version,
                                 @Parameter(description = "count all missing token lengths before answering, however long it takes")
                                 @RestQuery @DefaultValue("false") boolean waitForTokens) {
        String tenantId = tenant.id();
        DatasetVersion found = QuarkusTransaction.requiringNew().call(() -> Versions.require(tenantId, datasetId, version));
        try (Connection connection = dataSource.getConnection()) {
            long examples;
            long valid;
            long totalCalls;
            long withCalls;
            long parallel;
            long totalMessages;
            int minMessages;
            int maxMessages;
            try (PreparedStatement statement = connection.prepareStatement("""
                    select count(*), count(*) filter (where e.valid), coalesce(sum(e.call_count), 0),
                           count(*) filter (where e.call_count > 0),
                           count(*) filter (where exists (select 1 from jsonb_array_elements(cast(e.body as jsonb) -> 'messages') m
                                                          where jsonb_array_length(coalesce(m -> 'tool_calls', '[]')) > 1)),
                           coalesce(sum(e.message_count), 0), coalesce(min(e.message_count), 0), coalesce(max(e.message_count), 0)""" + MEMBERS)) {
                statement.setLong(1, found.id);
                try (ResultSet rs = statement.executeQuery()) {
                    rs.next();
                    examples = rs.getLong(1);
                    valid = rs.getLong(2);
                    totalCalls = rs.getLong(3);
                    withCalls = rs.getLong(4);
                    parallel = rs.getLong(5);
                    totalMessages = rs.getLong(6);
                    minMessages = rs.getInt(7);
                    maxMessages = rs.getInt(8);
                }
            }
            Map<Integer, Long> perExample = new TreeMap<>();
            try (PreparedStatement statement = connection.prepareStatement(
                    "select e.message_count, count(*)" + MEMBERS + " group by e.message_count")) {
                statement.setLong(1, found.id);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        perExample.put(rs.getInt(1), rs.getLong(2));
                    }
                }
            }
            Map<String, Long> perTool = new LinkedHashMap<>();
            try (PreparedStatement statement = connection.prepareStatement(
                    "select t.name, count(*) from version_example ve join example e on e.id = ve.example_id"
                            + " cross join lateral jsonb_array_elements_text(e.called_tools) as t(name)"
                            + " where ve.version_id = ? group by t.name order by count(*) desc, t.name")) {
                statement.setLong(1, found.id);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        perTool.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            VersionStatistics.Messages messages = new VersionStatistics.Messages(totalMessages, minMessages, maxMessages,
                    examples == 0 ? 0 : (double) totalMessages / examples, perExample);
            VersionStatistics.ToolCalls calls = new VersionStatistics.ToolCalls(totalCalls, withCalls, examples - withCalls, parallel, perTool);
            return new VersionStatistics(found.number, examples, valid, examples - valid, messages, calls, tokens(connection, found.id, examples, waitForTokens));
        } catch (SQLException e) {
            throw new ApiException(500, "statistics failed: " + e.getMessage(), null);
        }
    }

    private VersionStatistics.Tokens tokens(Connection connection, long versionId, long examples, boolean wait) throws SQLException {
        if (tokenCounts.tokenizer() == null) {
            return new VersionStatistics.Tokens("gemma3", tokenCounts.unavailableReason(), 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of());
        }
        long missing = tokenCounts.missing(versionId);
        if (missing > 0 && (wait || missing <= COUNT_WHILE_WAITING)) {
            tokenCounts.fillMissing(versionId);
            missing = 0;
        } else if (missing > 0) {
            tokenCounts.schedule(versionId);
        }
        int[] counts = new int[(int) examples];
        int n = 0;
        try (PreparedStatement statement = connection.prepareStatement("select e.token_count" + MEMBERS + " and e.token_count >= 0")) {
            statement.setLong(1, versionId);
            statement.setFetchSize(10_000);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next() && n < counts.length) {
                    counts[n++] = rs.getInt(1);
                }
            }
        }
        int[] sorted = Arrays.copyOf(counts, n);
        Arrays.sort(sorted);
        long total = 0;
        for (int count : sorted) {
            total += count;
        }
        List<VersionStatistics.Bucket> histogram = new ArrayList<>();
        if (n > 0) {
            int from = 0;
            int to = 64;
            int index = 0;
            while (index < n) {
                long inBucket = 0;
                while (index < n && sorted[index] < to) {
                    inBucket++;
                    index++;
                }
                histogram.add(new VersionStatistics.Bucket(from, to, inBucket));
                from = to;
                to *= 2;
            }
        }
        return new VersionStatistics.Tokens("gemma3", null, n, missing, total,
                n == 0 ? 0 : sorted[0], n == 0 ? 0 : sorted[n - 1], n == 0 ? 0 : (double) total / n,
                percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99), histogram);
    }

    private static int percentile(int[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
