package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.ImportProblem;
import dev.tooltune.chat.importing.JsonlReader;
import dev.tooltune.contracts.database.DatabaseUnavailable;
import dev.tooltune.dataset.config.DatasetConfig;
import dev.tooltune.dataset.example.ExampleRows;
import dev.tooltune.dataset.statistics.TokenCounts;
import dev.tooltune.dataset.validation.ExampleValidator;
import dev.tooltune.dataset.version.DatasetVersion;
import dev.tooltune.dataset.version.VersionRows;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Runs import jobs, a few at a time: checks that the spooled upload is JSON Lines at all ({@link FileCheck}), then
 * in one database transaction writes a pending version (from the latest one when appending), runs the file through
 * the {@link LinePipeline} into the {@link LinePolicy}, and numbers the version at the end ({@link VersionRows})
 * together with the job's result. A failed or rejected import leaves no trace; concurrent edits are not blocked for
 * its duration. Progress is written to the job row in its own small transactions as the import goes. An import the
 * database drops away from (a PostgreSQL restart) starts again from its spooled upload once the database is back.
 */
@ApplicationScoped
public class ImportRunner {
    private static final Logger LOG = Logger.getLogger(ImportRunner.class);
    private static final long PROGRESS_EVERY_MILLIS = 1000;
    private static final long LOG_EVERY_LINES = 20_000;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ExampleValidator validator;

    @Inject
    DatasetConfig config;

    @Inject
    TokenCounts tokenCounts;

    @Inject
    ImportLeases leases;

    private ExecutorService workers;
    /** Shared by all running imports: the CPU-bound part of an import, spread over the cores. */
    private ExecutorService preparers;
    private int preparerCount;

    void start(@Observes StartupEvent event) {
        workers = Executors.newFixedThreadPool(config.importing().workers(), daemonThreads("dataset-import-"));
        preparerCount = config.importing().preparers().orElse(Math.max(1, Runtime.getRuntime().availableProcessors()));
        preparers = Executors.newFixedThreadPool(preparerCount, daemonThreads("dataset-prepare-"));
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        workers.shutdownNow();
        preparers.shutdownNow();
        workers.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** Runs the job in the background; the future completes when the job has finished, whatever its outcome. */
    public CompletableFuture<Void> submit(long jobId, Path upload) {
        return CompletableFuture.runAsync(() -> run(jobId, upload), workers);
    }

    /** Spools a request body to a temporary file, so the import can run (and report progress) after the upload. */
    static long spool(InputStream body, Path target) throws IOException {
        return Files.copy(body, target, StandardCopyOption.REPLACE_EXISTING);
    }

    private void run(long jobId, Path upload) {
        try {
            while (true) {
                try {
                    runOnce(jobId, upload);
                    return;
                } catch (Exception e) {
                    Optional<String> database = DatabaseUnavailable.cause(e);
                    if (database.isEmpty()) {
                        throw e;
                    }
                    // PostgreSQL rolled the import's transaction back with the connection; the upload is still here.
                    LOG.warnf("import %d: the database is unavailable (%s); the import starts again when it is back",
                            jobId, database.get());
                    if (!awaitDatabaseWhileStillRunning(jobId)) {
                        return;
                    }
                }
            }
        } catch (Throwable e) {
            // Errors too: the CompletableFuture would keep one to itself, and the job would stay RUNNING unexplained.
            LOG.errorf(e, "import %d failed", jobId);
            ImportJobs.finishFailed(jobId, "the import failed unexpectedly: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(upload);
            } catch (IOException e) {
                LOG.warnf("could not delete spooled upload %s: %s", upload, e.getMessage());
            }
        }
    }

    /**
     * Waits until the database answers again; then whether the job is still this replica's to run: not when it was
     * finished meanwhile (a commit whose answer the outage swallowed, or another replica failing it after a lease
     * that ran out during a long outage).
     */
    private boolean awaitDatabaseWhileStillRunning(long jobId) throws InterruptedException {
        while (true) {
            Thread.sleep(TimeUnit.SECONDS.toMillis(DatabaseUnavailable.RETRY_AFTER_SECONDS));
            try {
                leases.renew();
                ImportJob.State state = ImportJobs.state(jobId);
                return state != null && !state.finished();
            } catch (RuntimeException e) {
                if (DatabaseUnavailable.cause(e).isEmpty()) {
                    throw e;
                }
            }
        }
    }

    private void runOnce(long jobId, Path upload) throws IOException, SQLException, InterruptedException {
        ImportJob job = ImportJobs.start(jobId);
        if (job == null) {
            return;
        }
        LOG.infof("import %d into dataset %d: started (%d bytes, %s)", jobId, job.datasetId, job.bytesTotal, job.options());
        ImportProgress progress = new ImportProgress(config.importing().maxReportedProblems());
        String fileProblem = FileCheck.problem(upload, validator.limits().maxLineBytes());
        Integer number = null;
        if (fileProblem != null) {
            progress.bytesRead = job.bytesTotal;
            progress.report(0, ImportProblem.ROOT, fileProblem, ReportedProblem.ERROR);
            finish(job.id, ImportJob.State.REJECTED, progress, "the file is not JSON Lines; nothing was stored. " + fileProblem);
        } else {
            number = importFile(job, job.options(), upload, progress);
        }
        LOG.infof("import %d into dataset %d: %s after %d lines, %d examples stored, %d invalid lines, %d duplicates%s",
                jobId, job.datasetId, number == null ? "nothing stored" : "done", progress.linesRead, progress.examplesStored,
                progress.invalidLines, progress.duplicateLines, number == null ? "" : " -> version " + number);
    }

    /** The import's one transaction; returns the new version's number, or null when nothing was stored. */
    private Integer importFile(ImportJob job, ImportOptions options, Path upload, ImportProgress progress)
            throws IOException, SQLException, InterruptedException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                VersionRows.Base base = options.append() ? VersionRows.latest(connection, job.datasetId) : null;
                Integer baseNumber = base == null ? null : base.number();
                long versionId = VersionRows.insertPending(connection, job.datasetId, baseNumber, DatasetVersion.Origin.IMPORT,
                        (base == null ? "import " : "import appended to version " + baseNumber + ", ") + "job " + job.id
                                + " (" + options.format().name().toLowerCase() + ", " + options.mode().name().toLowerCase() + ")",
                        job.id);
                int firstPosition = base == null ? 0 : VersionRows.copyMembers(connection, base.id(), versionId, -1);
                LinePolicy policy;
                try (ExampleRows writer = new ExampleRows(connection, job.datasetId, versionId, config.importing().batchSize());
                     JsonlReader reader = new JsonlReader(Files.newInputStream(upload), validator.limits().maxLineBytes())) {
                    policy = new LinePolicy(options, progress, writer, firstPosition);
                    if (base != null) {
                        rememberHashes(connection, versionId, policy);
                    }
                    long[] lastProgress = {System.currentTimeMillis()};
                    LinePolicy lines = policy;
                    new LinePipeline(preparers, preparerCount, validator, options.lineRules()).run(reader, chunk -> {
                        lines.take(chunk);
                        logEveryFewLines(job, chunk, progress);
                        if (System.currentTimeMillis() - lastProgress[0] >= PROGRESS_EVERY_MILLIS) {
                            ImportJobs.saveProgress(job.id, progress);
                            lastProgress[0] = System.currentTimeMillis();
                        }
                    });
                    progress.bytesRead = reader.bytesRead();
                    if (!policy.rejecting()) {
                        writer.flush();
                    }
                }
                if (policy.rejecting() || progress.examplesStored == 0) {
                    connection.rollback();
                    progress.examplesStored = 0;
                    finish(job.id, ImportJob.State.REJECTED, progress, policy.rejecting()
                            ? "strict import rejected: " + progress.invalidLines + " invalid line(s); nothing was stored. "
                                    + "Fix them, or import with mode=lenient to store the valid lines"
                            : progress.linesRead == 0 ? "the upload is empty; nothing was stored"
                            : "no line held a usable example; nothing was stored");
                    return null;
                }
                int number = VersionRows.assignNumber(connection, job.datasetId, versionId,
                        (base == null ? 0 : base.exampleCount()) + (int) progress.examplesStored,
                        (base == null ? 0 : base.invalidCount()) + (int) policy.invalidStored());
                ImportJobs.writeResult(connection, job.id, ImportJob.State.SUCCEEDED, number, progress,
                        "stored " + progress.examplesStored + " example(s) as version " + number);
                connection.commit();
                if (config.tokens().countAfterImport()) {
                    tokenCounts.schedule(versionId);
                }
                return number;
            } catch (IOException | SQLException | InterruptedException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** The content hashes of the version appended to, so that a line repeating one of its examples is a duplicate. */
    private static void rememberHashes(Connection connection, long versionId, LinePolicy policy) throws SQLException {
        try (PreparedStatement hashes = connection.prepareStatement("""
                select e.id, e.content_hash from version_example ve join example e on e.id = ve.example_id
                where ve.version_id = ?""")) {
            hashes.setLong(1, versionId);
            hashes.setFetchSize(5000);
            try (ResultSet rs = hashes.executeQuery()) {
                while (rs.next()) {
                    policy.alreadyStored(rs.getLong(1), rs.getBytes(2));
                }
            }
        }
    }

    private static void logEveryFewLines(ImportJob job, LinePipeline.PreparedChunk chunk, ImportProgress progress) {
        for (JsonlReader.Line line : chunk.lines()) {
            if (line.number() % LOG_EVERY_LINES == 0) {
                LOG.infof("import %d into dataset %d: %d lines (%d%%), %d stored, %d invalid", job.id, job.datasetId,
                        line.number(), ImportProgress.percent(chunk.bytesReadAfter(), job.bytesTotal),
                        progress.examplesStored, progress.invalidLines);
            }
        }
    }

    /** Writes a result that stores nothing, outside the import's (rolled back) transaction. */
    private void finish(long jobId, ImportJob.State state, ImportProgress progress, String message) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            ImportJobs.writeResult(connection, jobId, state, null, progress, message);
        }
    }
}
