package dev.tooltune.gateway;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real PostgreSQL server the tests use: the one QUARKUS_DATASOURCE_JDBC_URL names, else PGHOST/PGPORT, else
 * 127.0.0.1:5432 (user PGUSER or postgres). Test databases are dropped and created fresh.
 */
public final class TestDatabases {
    private static final Pattern SERVER = Pattern.compile("^jdbc:postgresql://([^:/?]+)(:([0-9]+))?");
    public static final String USER = System.getenv().getOrDefault("PGUSER", "postgres");
    public static final String PASSWORD = System.getenv().getOrDefault("PGPASSWORD", "");
    public static final String SERVER_URL = serverUrl();
    private static final Pattern DATABASE_NAME = Pattern.compile("^jdbc:postgresql://[^/]+/([A-Za-z0-9_]+)");

    /**
     * The database a test names, or the one QUARKUS_DATASOURCE_JDBC_URL names with {@code suffix} appended: several
     * checkouts share one server, and each must wipe only its own databases.
     */
    public static String name(String defaultName, String suffix) {
        Matcher configured = DATABASE_NAME.matcher(System.getenv().getOrDefault("QUARKUS_DATASOURCE_JDBC_URL", ""));
        return configured.find() ? configured.group(1) + suffix : defaultName;
    }

    private static String serverUrl() {
        String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
        String port = System.getenv().getOrDefault("PGPORT", "5432");
        Matcher configured = SERVER.matcher(System.getenv().getOrDefault("QUARKUS_DATASOURCE_JDBC_URL", ""));
        if (configured.find()) {
            host = configured.group(1);
            port = configured.group(3) == null ? "5432" : configured.group(3);
        }
        return "jdbc:postgresql://" + host + ":" + port + "/";
    }

    /** Drops (if there) and creates the database; returns its JDBC URL. */
    public static String fresh(String name) {
        try (Connection connection = maintenance(); Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists \"" + name + "\" with (force)");
            statement.execute("create database \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("the tests need PostgreSQL at " + SERVER_URL + " (user " + USER + "): "
                    + e.getMessage(), e);
        }
        return SERVER_URL + name;
    }

    public static Connection connect(String jdbcUrl) throws SQLException {
        return DriverManager.getConnection(jdbcUrl, USER, PASSWORD);
    }

    private static Connection maintenance() throws SQLException {
        try {
            return DriverManager.getConnection(SERVER_URL + "postgres", USER, PASSWORD);
        } catch (SQLException e) {
            return DriverManager.getConnection(SERVER_URL + "test", USER, PASSWORD);
        }
    }

    private TestDatabases() {
    }
}
