package dev.tooltune.dataset;

import dev.tooltune.testing.DatabaseLink;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Points the tests at their own database on the real PostgreSQL server, creating it when missing. The server
 * is the one QUARKUS_DATASOURCE_JDBC_URL names, else found the libpq way (PGHOST, PGPORT, PGUSER; default
 * 127.0.0.1:5432, postgres); the database is always {@value #DATABASE_DEFAULT} (or TOOLTUNE_TEST_DATABASE), never the
 * one in that URL, because Flyway wipes and migrates it at start so that every run begins empty. The service reaches
 * it through {@link #link}, which a test may cut as a PostgreSQL restart would (the shared server is never touched).
 */
public class PostgresTestDatabase implements QuarkusTestResourceLifecycleManager {
    /** Between the service and the server. */
    static DatabaseLink link;

    private static final Pattern SERVER = Pattern.compile("^jdbc:postgresql://([^:/?]+)(:([0-9]+))?");
    static final String DATABASE_DEFAULT = "tooltune_test";
    static final String DATABASE = System.getenv().getOrDefault("TOOLTUNE_TEST_DATABASE", DATABASE_DEFAULT);

    @Override
    public Map<String, String> start() {
        String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("PGPORT", "5432");
        // Where the environment names a server for the services (as scripts/test.sh reads it), use that server,
        // but always this database: Flyway wipes it at start.
        Matcher configured = SERVER.matcher(System.getenv().getOrDefault("QUARKUS_DATASOURCE_JDBC_URL", ""));
        if (configured.find()) {
            host = configured.group(1);
            port = configured.group(3) == null ? "5432" : configured.group(3);
        }
        String user = System.getenv().getOrDefault("PGUSER", "postgres");
        String password = System.getenv().getOrDefault("PGPASSWORD", "");
        String server = "jdbc:postgresql://" + host + ":" + port + "/";
        try (Connection connection = maintenanceConnection(server, user, password)) {
            boolean exists;
            try (PreparedStatement query = connection.prepareStatement("select 1 from pg_database where datname = ?")) {
                query.setString(1, DATABASE);
                try (ResultSet rs = query.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                try (Statement create = connection.createStatement()) {
                    create.execute("create database \"" + DATABASE + "\"");
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the tests need PostgreSQL at " + host + ":" + port + " (user " + user + "): " + e.getMessage(), e);
        }
        link = DatabaseLink.to(server);
        return Map.of(
                "quarkus.datasource.jdbc.url", link.jdbcUrl(server + DATABASE + "?reWriteBatchedInserts=true"),
                "quarkus.datasource.username", user,
                "quarkus.datasource.password", password);
    }

    /** The server's default database, or {@code test} where {@code postgres} is missing. */
    private static Connection maintenanceConnection(String server, String user, String password) throws SQLException {
        try {
            return DriverManager.getConnection(server + "postgres", user, password);
        } catch (SQLException e) {
            return DriverManager.getConnection(server + "test", user, password);
        }
    }

    @Override
    public void stop() {
        link.cut();
    }
}
