package dev.tooltune.dataset.importing;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.dataset.Dataset;
import dev.tooltune.dataset.storage.JsonbText;
import io.quarkus.narayana.jta.QuarkusTransaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import org.jboss.logging.Logger;

/** Reads and writes import job rows: lookups within a tenant, progress while a job runs, and its result. */
final class ImportJobs {
    private static final Logger LOG = Logger.getLogger(ImportJobs.class);

    private ImportJobs() {}

    /** The import job, when it imports into one of the tenant's datasets; 404 otherwise. */
    static ImportJobView require(String tenantId, long importId) {
        ImportJob job = QuarkusTransaction.requiringNew().call(() -> {
            ImportJob found = ImportJob.findById(importId);
            return found == null || Dataset.findOwned(tenantId, found.datasetId) == null ? null : found;
        });
        if (job == null) {
            throw ApiException.notFound("import " + importId + " does not exist");
        }
        return ImportJobView.of(job);
    }

    /** The job with this key for the dataset, or null. */
    static ImportJob withIdempotencyKey(long datasetId, String key) {
        return key == null ? null : QuarkusTransaction.requiringNew().call(() ->
                ImportJob.<ImportJob>find("datasetId = ?1 and idempotencyKey = ?2", datasetId, key).firstResult());
    }

    /** The job's state; null when it no longer exists. */
    static ImportJob.State state(long jobId) {
        return QuarkusTransaction.requiringNew().call(() -> {
            ImportJob found = ImportJob.findById(jobId);
            return found == null ? null : found.state;
        });
    }

    /** Marks the job running; null when it no longer exists. */
    static ImportJob start(long jobId) {
        return QuarkusTransaction.requiringNew().call(() -> {
            ImportJob found = ImportJob.findById(jobId);
            if (found != null) {
                found.state = ImportJob.State.RUNNING;
                found.startedAt = Instant.now();
            }
            return found;
        });
    }

    /** The progress so far, in its own small transaction (the import's own is still open). */
    static void saveProgress(long jobId, ImportProgress progress) {
        QuarkusTransaction.requiringNew().run(() -> ImportJob.update("""
                bytesRead = ?1, linesRead = ?2, examplesStored = ?3, invalidLines = ?4, duplicateLines = ?5,
                blankLines = ?6, problemCount = ?7 where id = ?8""",
                progress.bytesRead, progress.linesRead, progress.examplesStored, progress.invalidLines,
                progress.duplicateLines, progress.blankLines, progress.problemCount, jobId));
    }

    /** Writes the job's result on {@code connection}, inside the caller's transaction. */
    static void writeResult(Connection connection, long jobId, ImportJob.State state, Integer number,
                            ImportProgress progress, String message) throws SQLException {
        String problems;
        try {
            problems = JsonbText.safe(ChatJson.MAPPER.writeValueAsString(progress.problems()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("problems are plain records", e);
        }
        try (PreparedStatement update = connection.prepareStatement("""
                update import_job set state = ?, version_number = ?, message = ?, bytes_read = ?, lines_read = ?,
                    examples_stored = ?, invalid_lines = ?, duplicate_lines = ?, blank_lines = ?, problem_count = ?,
                    problems = ?::jsonb, finished_at = clock_timestamp()
                where id = ?""")) {
            update.setString(1, state.name());
            update.setObject(2, number);
            update.setString(3, message);
            update.setLong(4, progress.bytesRead);
            update.setLong(5, progress.linesRead);
            update.setLong(6, progress.examplesStored);
            update.setLong(7, progress.invalidLines);
            update.setLong(8, progress.duplicateLines);
            update.setLong(9, progress.blankLines);
            update.setLong(10, progress.problemCount);
            update.setString(11, problems);
            update.setLong(12, jobId);
            update.executeUpdate();
        }
    }

    static void finishFailed(long jobId, String message) {
        try {
            QuarkusTransaction.requiringNew().run(() -> ImportJob.update(
                    "state = ?1, message = ?2, finishedAt = ?3, examplesStored = 0 where id = ?4",
                    ImportJob.State.FAILED, message, Instant.now(), jobId));
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not record the failure of import %d", jobId);
        }
    }
}
