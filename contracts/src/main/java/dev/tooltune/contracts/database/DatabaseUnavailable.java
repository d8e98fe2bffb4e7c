package dev.tooltune.contracts.database;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/**
 * What every service answers while PostgreSQL cannot be reached (a restart, an outage): HTTP 503 with error code
 * {@value #CODE} and {@code Retry-After: }{@value #RETRY_AFTER_SECONDS}, never an internal error, so that a caller
 * knows its request was not completed and that retrying soon is right. {@link #cause} tells such a failure from others.
 */
public final class DatabaseUnavailable {
    public static final String CODE = "database_unavailable";
    public static final int RETRY_AFTER_SECONDS = 5;

    private DatabaseUnavailable() {
    }

    /**
     * The innermost message of {@code e} when somewhere in its causes the database could not be reached (connection
     * refused or broken: SQLState class 08, an administrator shutdown 57P, JDBC's connection exceptions); empty when
     * {@code e} is something else. Hibernate's {@code JDBCConnectionException} needs no case of its own: Hibernate
     * makes one only from such an SQLException, which it keeps as its cause.
     */
    public static Optional<String> cause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (isConnectionFailure(t)) {
                Throwable root = t;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                return Optional.of(root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage());
            }
        }
        return Optional.empty();
    }

    private static boolean isConnectionFailure(Throwable t) {
        if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                || t instanceof SQLRecoverableException) {
            return true;
        }
        String state = t instanceof SQLException sql ? sql.getSQLState() : null;
        return state != null && (state.startsWith("08") || state.startsWith("57P"));
    }
}
