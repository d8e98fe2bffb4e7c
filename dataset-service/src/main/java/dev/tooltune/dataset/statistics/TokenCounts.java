package dev.tooltune.dataset.statistics;

import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.template.RenderedSegment;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.jboss.logging.Logger;

/**
 * Counts each example's Gemma 3 tokens as training will see it (the Gemma chat format, tools declared, every
 * turn closed) and stores the count on the example row, once per example: rows are immutable and shared between
 * versions. Imports schedule the counting of their new version in the background; statistics count what is
 * still missing when it is little, and otherwise report how much is pending.
 *
 * <p>The count is the sum of the segments' token counts, exactly what {@link GemmaChatFormat#tokenize} produces
 * (it encodes segment by segment too). Segments that recur in every example (turn markers, the tools
 * declaration) are counted once and remembered, which halves the calls into the tokenizer.
 */
@ApplicationScoped
public class TokenCounts {
    private static final Logger LOG = Logger.getLogger(TokenCounts.class);
    private static final int BATCH = 500;
    private static final int SHORT_SEGMENT = 40;
    private static final int SEGMENT_CACHE_LIMIT = 10_000;

    @Inject
    AgroalDataSource dataSource;

    private final GemmaChatFormat format = new GemmaChatFormat();
    private final Map<String, Integer> recurringSegments = new ConcurrentHashMap<>();
    private final Set<Long> scheduled = ConcurrentHashMap.newKeySet();
    private final ExecutorService background = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "dataset-token-counts");
        thread.setDaemon(true);
        return thread;
    });
    private volatile GemmaTokenizer tokenizer;
    private volatile String unavailable;

    void stop(@Observes ShutdownEvent event) {
        background.shutdownNow();
    }

    /** The tokenizer, or null when it cannot be loaded; {@link #unavailableReason()} then says why. */
    GemmaTokenizer tokenizer() {
        if (tokenizer == null && unavailable == null) {
            synchronized (this) {
                if (tokenizer == null && unavailable == null) {
                    try {
                        tokenizer = GemmaTokenizer.loadDefault();
                    } catch (RuntimeException | LinkageError e) {
                        unavailable = e.getMessage();
                        LOG.warnf("token statistics are unavailable: %s", unavailable);
                    }
                }
            }
        }
        return tokenizer;
    }

    String unavailableReason() {
        return unavailable;
    }

    /** Counts the version's missing token counts in the background (once at a time per version). */
    public void schedule(long versionId) {
        if (scheduled.add(versionId)) {
            background.execute(() -> {
                try {
                    fillMissing(versionId);
                } catch (SQLException | RuntimeException e) {
                    LOG.warnf("counting tokens of version id %d failed: %s", versionId, e.getMessage());
                } finally {
                    scheduled.remove(versionId);
                }
            });
        }
    }

    long missing(long versionId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement count = connection.prepareStatement("""
                     select count(*) from version_example ve join example e on e.id = ve.example_id
                     where ve.version_id = ? and e.token_count is null""")) {
            count.setLong(1, versionId);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Fills in the token counts a version still lacks; returns how many were counted now. */
    long fillMissing(long versionId) throws SQLException {
        GemmaTokenizer gemma = tokenizer();
        if (gemma == null) {
            return 0;
        }
        long started = System.nanoTime();
        long counted = 0;
        try (Connection reading = dataSource.getConnection(); Connection writing = dataSource.getConnection()) {
            reading.setAutoCommit(false);
            writing.setAutoCommit(true);
            try (PreparedStatement select = reading.prepareStatement("""
                    select e.id, e.body from version_example ve join example e on e.id = ve.example_id
                    where ve.version_id = ? and e.token_count is null""");
                 PreparedStatement update = writing.prepareStatement("update example set token_count = ? where id = ?")) {
                select.setLong(1, versionId);
                select.setFetchSize(BATCH);
                try (ResultSet rs = select.executeQuery()) {
                    long[] ids = new long[BATCH];
                    String[] bodies = new String[BATCH];
                    int n;
                    do {
                        n = 0;
                        while (n < BATCH && rs.next()) {
                            ids[n] = rs.getLong(1);
                            bodies[n] = rs.getString(2);
                            n++;
                        }
                        int[] counts = new int[n];
                        // Tokenizing is the slow part; the tokenizer is thread-safe, so use every core.
                        IntStream.range(0, n).parallel().forEach(i -> counts[i] = count(gemma, bodies[i]));
                        for (int i = 0; i < n; i++) {
                            update.setInt(1, counts[i]);
                            update.setLong(2, ids[i]);
                            update.addBatch();
                        }
                        if (n > 0) {
                            update.executeBatch();
                        }
                        counted += n;
                    } while (n == BATCH);
                }
            } finally {
                reading.rollback();
            }
        }
        if (counted > 0) {
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.infof("counted Gemma 3 tokens of %d example(s) of version id %d in %.1f s (%.0f examples/s)",
                    counted, versionId, seconds, counted / seconds);
        }
        return counted;
    }

    /** Tokens of one stored example; -1 when it cannot be rendered (only possible for examples stored invalid). */
    int count(GemmaTokenizer gemma, String body) {
        try {
            ChatExample example = ChatJson.MAPPER.readValue(body, ChatExample.class);
            int total = 0;
            for (RenderedSegment segment : format.segments(example)) {
                String text = segment.text();
                if (segment.toolsDeclaration() || text.length() <= SHORT_SEGMENT) {
                    Integer known = recurringSegments.get(text);
                    if (known == null) {
                        known = gemma.countTokens(text);
                        if (recurringSegments.size() >= SEGMENT_CACHE_LIMIT) {
                            recurringSegments.clear();
                        }
                        recurringSegments.put(text, known);
                    }
                    total += known;
                } else {
                    total += gemma.countTokens(text);
                }
            }
            return total;
        } catch (Exception e) {
            return -1;
        }
    }
}
