package dev.tooltune.contracts.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The real outage tests are the services' (a cut link to the real server); these pin the edges of the rule. */
class DatabaseUnavailableTest {

    @Test
    void aConnectionFailureDeepInTheCausesIsFoundAndNamedByItsRootCause() {
        SQLException refused = new SQLException("Connection to 127.0.0.1:5432 refused", "08001",
                new ConnectException("Connection refused"));
        RuntimeException wrapped = new RuntimeException("could not prepare statement", new IllegalStateException(refused));
        assertEquals(Optional.of("Connection refused"), DatabaseUnavailable.cause(wrapped));
        assertEquals(Optional.of("FATAL: terminating connection due to administrator command"), DatabaseUnavailable
                .cause(new SQLException("FATAL: terminating connection due to administrator command", "57P01")));
        assertTrue(DatabaseUnavailable.cause(new SQLTransientConnectionException()).isPresent());
    }

    @Test
    void otherDatabaseErrorsAreNotAnOutage() {
        assertEquals(Optional.empty(), DatabaseUnavailable.cause(new SQLException("duplicate key", "23505")));
        assertEquals(Optional.empty(), DatabaseUnavailable.cause(new SQLException("canceling statement", "57014")));
        assertEquals(Optional.empty(), DatabaseUnavailable.cause(new IllegalStateException("no cause")));
    }
}
