package dev.tooltune.dataset;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Points the tests at their own database on the real PostgreSQL server, creating it when missing. The server
 * is found the libpq way (PGHOST, PGPORT, PGUSER; default 127.0.0.1:5432, postgres); Flyway wipes and migrates
 * the database at start, so every run begins empty.
 */
public class PostgresTestDatabase implements QuarkusTestResourceLifecycleManager {
    static final String DATABASE = System.getenv().getOrDefault("TOOLTUNE_TEST_DATABASE", "tooltune_test");

    @Override
    public Map<String, String> start() {
        String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("PGPORT", "5432");
        String user = System.getenv().getOrDefault("PGUSER", "postgres");
        String password = System.getenv().getOrDefault("PGPASSWORD", "");
        String server = "jdbc:postgresql://" + host + ":" + port + "/";
        try (Connection connection = DriverManager.getConnection(server + "postgres", user, password)) {
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
        return Map.of(
                "quarkus.datasource.jdbc.url", server + DATABASE + "?reWriteBatchedInserts=true",
                "quarkus.datasource.username", user,
                "quarkus.datasource.password", password);
    }

    @Override
    public void stop() {
    }
}
