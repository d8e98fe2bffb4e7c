package dev.tooltune.dataset.version;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * How a new version is written, for imports and edits alike, on the caller's connection and inside its
 * transaction: it is inserted without a number, its membership copied from a base version (positions and example
 * ids, never example bodies), and numbered last, under a lock on the dataset row that is held only until the
 * transaction commits. So a long import does not block edits, and concurrent writers get consecutive numbers.
 */
public final class VersionRows {
    private VersionRows() {}

    /** The newest numbered version of a dataset, or null. */
    public record Base(long id, int number, int exampleCount, int invalidCount) {}

    public static Base latest(Connection connection, long datasetId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                select id, number, example_count, invalid_count from dataset_version
                where dataset_id = ? and number is not null order by number desc limit 1""")) {
            statement.setLong(1, datasetId);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? new Base(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getInt(4)) : null;
            }
        }
    }

    /** Inserts a version without a number (invisible to readers until {@link #assignNumber}); returns its id. */
    public static long insertPending(Connection connection, long datasetId, Integer parentNumber, DatasetVersion.Origin origin,
                                     String note, Long importJobId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                insert into dataset_version (dataset_id, number, parent_number, origin, note, import_job_id, created_at)
                values (?, null, ?, ?, ?, ?, now()) returning id""")) {
            statement.setLong(1, datasetId);
            statement.setObject(2, parentNumber);
            statement.setString(3, origin.name());
            statement.setString(4, note);
            statement.setObject(5, importJobId);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Copies the membership of version {@code fromVersionId} into {@code toVersionId}, leaving out the example at
     * {@code skippedPosition} (-1: none); returns the next free position.
     */
    public static int copyMembers(Connection connection, long fromVersionId, long toVersionId, int skippedPosition) throws SQLException {
        try (PreparedStatement copy = connection.prepareStatement("""
                insert into version_example (version_id, position, example_id)
                select ?, position, example_id from version_example where version_id = ? and position <> ?""")) {
            copy.setLong(1, toVersionId);
            copy.setLong(2, fromVersionId);
            copy.setInt(3, skippedPosition);
            copy.executeUpdate();
        }
        try (PreparedStatement next = connection.prepareStatement(
                "select coalesce(max(position) + 1, 0) from version_example where version_id = ?")) {
            next.setLong(1, toVersionId);
            try (ResultSet rs = next.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Numbers the version under a lock on the dataset row, held only until this transaction commits. */
    public static int assignNumber(Connection connection, long datasetId, long versionId, int exampleCount, int invalidCount) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("select id from dataset where id = ? for update")) {
            lock.setLong(1, datasetId);
            try (ResultSet rs = lock.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("dataset " + datasetId + " was deleted while its new version was written");
                }
            }
        }
        int number;
        try (PreparedStatement max = connection.prepareStatement(
                "select coalesce(max(number), 0) + 1 from dataset_version where dataset_id = ?")) {
            max.setLong(1, datasetId);
            try (ResultSet rs = max.executeQuery()) {
                rs.next();
                number = rs.getInt(1);
            }
        }
        try (PreparedStatement update = connection.prepareStatement(
                "update dataset_version set number = ?, example_count = ?, invalid_count = ? where id = ?")) {
            update.setInt(1, number);
            update.setInt(2, exampleCount);
            update.setInt(3, invalidCount);
            update.setLong(4, versionId);
            update.executeUpdate();
        }
        return number;
    }
}
