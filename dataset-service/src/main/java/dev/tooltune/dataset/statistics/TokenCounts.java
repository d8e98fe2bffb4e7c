package dev.tooltune.dataset.statistics;

import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.stream.IntStream;
import org.jboss.logging.Logger;

/**
 * Counts each example's Gemma 3 tokens as training will see it (the Gemma chat format, tools declared, every
 * turn closed) and stores the count on the example row. Counting is lazy, on the first statistics request for
 * a version, and done once per example: rows are immutable and shared between versions.
 */
@ApplicationScoped
public class TokenCounts {
    private static final Logger LOG = Logger.getLogger(TokenCounts.class);
    private static final int BATCH = 500;

    @Inject
    AgroalDataSource dataSource;

    private final GemmaChatFormat format = new GemmaChatFormat();
    private volatile GemmaTokenizer tokenizer;
    private volatile String unavailable;

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

    /** Fills in the token counts a version still lacks; returns how many were counted now. */
    long fillMissing(long versionId) throws SQLException {
        GemmaTokenizer gemma = tokenizer();
        if (gemma == null) {
            return 0;
        }
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
                        String[] batch = bodies;
                        // Tokenizing is the slow part; the tokenizer is thread-safe, so use every core.
                        IntStream.range(0, n).parallel().forEach(i -> counts[i] = count(gemma, batch[i]));
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
            LOG.infof("counted Gemma 3 tokens of %d example(s) of version id %d", counted, versionId);
        }
        return counted;
    }

    /** Tokens of one stored example; -1 when it cannot be rendered (only possible for examples stored invalid). */
    int count(GemmaTokenizer gemma, String body) {
        try {
            ChatExample example = ChatJson.MAPPER.readValue(body, ChatExample.class);
            return format.tokenize(example, gemma).originalLength();
        } catch (Exception e) {
            return -1;
        }
    }
}
