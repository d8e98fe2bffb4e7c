package dev.tooltune.gateway.claims;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * In-flight claims of training jobs, one row per job in PostgreSQL: the one store of the system that can decide
 * "first one wins" atomically. A claim is granted when there is none, when it has expired, or to its own owner
 * (a renewal); one statement decides, so two workers asking at the same moment never both get it.
 */
@ApplicationScoped
public class TrainingClaims {

    /** The claim as it stands after a request: granted to the caller, or held by {@code owner} until {@code expiresAt}. */
    public record Claim(boolean granted, String owner, long epoch, Instant expiresAt) {}

    @Inject
    AgroalDataSource dataSource;

    /** Claims or renews {@code jobId} for {@code owner} for {@code ttl}. */
    public Claim claim(String jobId, String owner, Duration ttl) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            // Granted: no row, an expired row (another owner: epoch + 1), or the caller's own row (renewal).
            try (PreparedStatement upsert = connection.prepareStatement("""
                    insert into training_claim (job_id, owner, epoch, expires_at) values (?, ?, 1, now() + ?::interval)
                    on conflict (job_id) do update set
                        epoch = case when training_claim.owner = excluded.owner then training_claim.epoch
                                     else training_claim.epoch + 1 end,
                        claimed_at = case when training_claim.owner = excluded.owner then training_claim.claimed_at
                                          else now() end,
                        owner = excluded.owner, expires_at = excluded.expires_at
                    where training_claim.owner = excluded.owner or training_claim.expires_at < now()
                    returning owner, epoch, expires_at""")) {
                upsert.setString(1, jobId);
                upsert.setString(2, owner);
                upsert.setString(3, ttl.toMillis() + " milliseconds");
                try (ResultSet granted = upsert.executeQuery()) {
                    if (granted.next()) {
                        return new Claim(true, granted.getString(1), granted.getLong(2), granted.getTimestamp(3).toInstant());
                    }
                }
            }
            return current(connection, jobId).orElseGet(() -> new Claim(false, "", 0, Instant.EPOCH));
        }
    }

    /** Ends {@code owner}'s claim of {@code jobId}; false when it held none (expired and taken over, or never). */
    public boolean release(String jobId, String owner) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement delete = connection.prepareStatement("delete from training_claim where job_id = ? and owner = ?")) {
            delete.setString(1, jobId);
            delete.setString(2, owner);
            return delete.executeUpdate() == 1;
        }
    }

    private static Optional<Claim> current(Connection connection, String jobId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "select owner, epoch, expires_at from training_claim where job_id = ?")) {
            select.setString(1, jobId);
            try (ResultSet row = select.executeQuery()) {
                return row.next()
                        ? Optional.of(new Claim(false, row.getString(1), row.getLong(2), row.getTimestamp(3).toInstant()))
                        : Optional.empty();
            }
        }
    }
}
