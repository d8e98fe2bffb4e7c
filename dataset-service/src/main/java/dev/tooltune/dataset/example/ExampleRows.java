package dev.tooltune.dataset.example;

import dev.tooltune.dataset.storage.JsonbText;
import dev.tooltune.dataset.validation.PreparedExample;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * The one place example rows are written: examples and their version membership, in JDBC batches on one
 * connection, inside the caller's transaction (imports write thousands, an edit writes one). Example ids come from
 * the table's sequence in blocks, so membership rows can be batched alongside without a round trip per example.
 * Nothing is sent before {@link #flush()} or a full batch.
 */
public final class ExampleRows implements AutoCloseable {
    private final Connection connection;
    private final long datasetId;
    private final long versionId;
    private final int batchSize;
    private final PreparedStatement insertExample;
    private final PreparedStatement insertMember;
    private final PreparedStatement nextIds;
    private final long[] ids;
    private int idsUsed;
    private int pending;

    public ExampleRows(Connection connection, long datasetId, long versionId, int batchSize) throws SQLException {
        this.connection = connection;
        this.datasetId = datasetId;
        this.versionId = versionId;
        this.batchSize = batchSize;
        this.insertExample = connection.prepareStatement("""
                insert into example (id, dataset_id, body, content_hash, called_tools, message_count, call_count,
                                     valid, problems, source_line, metadata)
                values (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb, ?, ?::jsonb)""");
        this.insertMember = connection.prepareStatement(
                "insert into version_example (version_id, position, example_id) values (?, ?, ?)");
        this.nextIds = connection.prepareStatement(
                "select nextval(pg_get_serial_sequence('example', 'id')) from generate_series(1, ?)");
        this.ids = new long[batchSize];
        this.idsUsed = batchSize;
    }

    /**
     * Queues one example at {@code position} of the version and returns its id; {@code problemsJson} is null for a
     * valid one, {@code sourceLine} null for an example that came from no file.
     */
    public long add(PreparedExample example, String problemsJson, Long sourceLine, int position) throws SQLException {
        long id = nextId();
        insertExample.setLong(1, id);
        insertExample.setLong(2, datasetId);
        insertExample.setString(3, example.body());
        insertExample.setBytes(4, example.contentHash());
        insertExample.setString(5, JsonbText.safe(example.calledTools()));
        insertExample.setInt(6, example.messageCount());
        insertExample.setInt(7, example.callCount());
        insertExample.setBoolean(8, problemsJson == null);
        if (problemsJson == null) {
            insertExample.setNull(9, Types.VARCHAR);
        } else {
            insertExample.setString(9, JsonbText.safe(problemsJson));
        }
        if (sourceLine == null) {
            insertExample.setNull(10, Types.BIGINT);
        } else {
            insertExample.setLong(10, sourceLine);
        }
        if (example.metadata() == null) {
            insertExample.setNull(11, Types.VARCHAR);
        } else {
            insertExample.setString(11, JsonbText.safe(example.metadata()));
        }
        insertExample.addBatch();
        insertMember.setLong(1, versionId);
        insertMember.setInt(2, position);
        insertMember.setLong(3, id);
        insertMember.addBatch();
        if (++pending >= batchSize) {
            flush();
        }
        return id;
    }

    public void flush() throws SQLException {
        if (pending == 0) {
            return;
        }
        insertExample.executeBatch();
        insertMember.executeBatch();
        pending = 0;
    }

    private long nextId() throws SQLException {
        if (idsUsed == ids.length) {
            nextIds.setInt(1, ids.length);
            try (ResultSet rs = nextIds.executeQuery()) {
                int i = 0;
                while (rs.next()) {
                    ids[i++] = rs.getLong(1);
                }
            }
            idsUsed = 0;
        }
        return ids[idsUsed++];
    }

    @Override
    public void close() throws SQLException {
        insertExample.close();
        insertMember.close();
        nextIds.close();
    }
}
