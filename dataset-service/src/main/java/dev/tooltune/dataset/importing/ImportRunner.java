package dev.tooltune.dataset.importing;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.chat.importing.ImportProblem;
import dev.tooltune.chat.importing.JsonlReader;
import dev.tooltune.dataset.config.DatasetConfig;
import dev.tooltune.dataset.statistics.TokenCounts;
import dev.tooltune.dataset.storage.JsonbText;
import dev.tooltune.dataset.validation.ExampleValidator;
import dev.tooltune.dataset.validation.PreparedExample;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Runs import jobs: reads the spooled upload line by line, prepares each example (convert, normalise,
 * validate, hash) and writes the keepers in JDBC batches, all in one database transaction. The new version
 * gets its number only at the end, under a short lock on the dataset row, and commits together with the job's
 * result, so a failed or rejected import leaves no trace and concurrent edits are not blocked for its duration.
 * Progress (bytes, lines, counts) is written to the job row in its own small transactions as the import goes.
 */
@ApplicationScoped
public class ImportRunner {
    private static final Logger LOG = Logger.getLogger(ImportRunner.class);
    private static final long PROGRESS_EVERY_MILLIS = 1000;
    private static final long LOG_EVERY_LINES = 20_000;
    private static final int CHUNK_LINES = 200;

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ExampleValidator validator;

    @Inject
    DatasetConfig config;

    @Inject
    TokenCounts tokenCounts;

    /** This replica's id, the owner of the imports it runs. */
    private final String replicaId = java.util.UUID.randomUUID().toString();
    private java.util.concurrent.ScheduledExecutorService leases;
    private ExecutorService workers;
    /** Shared by all running imports: the CPU-bound part of an import, spread over the cores. */
    private ExecutorService preparers;
    private int preparerCount;

    void start(@Observes StartupEvent event) {
        AtomicInteger threads = new AtomicInteger();
        workers = Executors.newFixedThreadPool(config.importing().workers(), runnable -> {
            Thread thread = new Thread(runnable, "dataset-import-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        preparerCount = config.importing().preparers().orElse(Math.max(1, Runtime.getRuntime().availableProcessors()));
        AtomicInteger preparerThreads = new AtomicInteger();
        preparers = Executors.newFixedThreadPool(preparerCount, runnable -> {
            Thread thread = new Thread(runnable, "dataset-prepare-" + preparerThreads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        long renewEvery = Math.max(1, config.importing().lease().toMillis() / 3);
        leases = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "dataset-import-leases");
            thread.setDaemon(true);
            return thread;
        });
        leases.scheduleWithFixedDelay(() -> {
            try {
                renewLeases();
                failAbandoned();
            } catch (RuntimeException e) {
                LOG.warnf("import leases: %s", e.getMessage());
            }
        }, 0, renewEvery, TimeUnit.MILLISECONDS);
    }

    public String replicaId() {
        return replicaId;
    }

    /** When this replica's claim on a job it accepts now runs out, unless renewed. */
    public Instant leaseUntil() {
        return Instant.now().plus(config.importing().lease());
    }

    /** Extends this replica's claim on its queued and running imports. */
    void renewLeases() {
        QuarkusTransaction.requiringNew().run(() -> ImportJob.update("leaseUntil = ?1 where owner = ?2 and state in ?3",
                leaseUntil(), replicaId, List.of(ImportJob.State.QUEUED, ImportJob.State.RUNNING)));
    }

    /**
     * Marks failed the queued and running imports whose owner's lease ran out (that replica stopped; its spooled
     * upload is gone with it). Imports of live replicas, which renew their leases, are left alone.
     */
    public int failAbandoned() {
        int abandoned = QuarkusTransaction.requiringNew().call(() -> ImportJob.update(
                "state = ?1, message = ?2, finishedAt = ?3 where state in ?4 and (leaseUntil is null or leaseUntil < ?3)",
                ImportJob.State.FAILED, "the replica running this import stopped before it finished; nothing was stored, upload the file again",
                Instant.now(), List.of(ImportJob.State.QUEUED, ImportJob.State.RUNNING)));
        if (abandoned > 0) {
            LOG.warnf("marked %d import(s) of stopped replicas as failed", abandoned);
        }
        return abandoned;
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        leases.shutdownNow();
        workers.shutdownNow();
        preparers.shutdownNow();
        workers.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** Runs the job in the background; the future completes when the job has finished, whatever its outcome. */
    public CompletableFuture<Void> submit(long jobId, Path upload) {
        return CompletableFuture.runAsync(() -> run(jobId, upload), workers);
    }

    private void run(long jobId, Path upload) {
        try {
            ImportJob job = QuarkusTransaction.requiringNew().call(() -> {
                ImportJob found = ImportJob.findById(jobId);
                if (found != null) {
                    found.state = ImportJob.State.RUNNING;
                    found.startedAt = Instant.now();
                }
                return found;
            });
            if (job == null) {
                return;
            }
            LOG.infof("import %d into dataset %d: started (%d bytes, %s, %s)", jobId, job.datasetId, job.bytesTotal, job.mode, job.format);
            Outcome outcome = importFile(job, upload);
            LOG.infof("import %d into dataset %d: %s after %d lines, %d examples stored, %d invalid lines, %d duplicates%s",
                    jobId, job.datasetId, outcome.state, outcome.progress.linesRead, outcome.progress.examplesStored,
                    outcome.progress.invalidLines, outcome.progress.duplicateLines,
                    outcome.versionNumber == null ? "" : " -> version " + outcome.versionNumber);
        } catch (Exception e) {
            LOG.errorf(e, "import %d failed", jobId);
            finishFailed(jobId, "the import failed unexpectedly: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(upload);
            } catch (IOException e) {
                LOG.warnf("could not delete spooled upload %s: %s", upload, e.getMessage());
            }
        }
    }

    /** Counters shown while the job runs and kept in its report. */
    static final class Progress {
        long bytesRead;
        long linesRead;
        long examplesStored;
        long invalidLines;
        long duplicateLines;
        long blankLines;
        long problemCount;
        final List<ReportedProblem> problems = new ArrayList<>();
    }

    private record Outcome(ImportJob.State state, Integer versionNumber, Progress progress) {}

    /** The first 16 bytes of an example's SHA-256: enough to tell exact duplicates apart, half the memory. */
    private record HashKey(long high, long low) {
        static HashKey of(byte[] sha256) {
            ByteBuffer buffer = ByteBuffer.wrap(sha256);
            return new HashKey(buffer.getLong(), buffer.getLong());
        }
    }

    private Outcome importFile(ImportJob job, Path upload) throws IOException, SQLException, InterruptedException {
        ImportFormat format = ImportFormat.parse(job.format);
        boolean strict = job.mode == ImportJob.Mode.STRICT;
        int maxProblems = config.importing().maxReportedProblems();
        Progress progress = new Progress();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Integer baseNumber = null;
                int baseCount = 0;
                int baseInvalid = 0;
                Map<HashKey, Long> firstSeen = new HashMap<>();
                long versionId;
                int position = 0;
                if (job.append) {
                    BaseVersion base = latestVersion(connection, job.datasetId);
                    if (base != null) {
                        baseNumber = base.number;
                        baseCount = base.exampleCount;
                        baseInvalid = base.invalidCount;
                    }
                }
                versionId = insertPendingVersion(connection, job, baseNumber);
                if (baseNumber != null) {
                    position = copyMembers(connection, job.datasetId, baseNumber, versionId, firstSeen);
                }
                LineConsumer consumer = new LineConsumer(job, strict, maxProblems, progress, firstSeen, position);
                long lastProgress = System.currentTimeMillis();
                try (JsonlReader reader = new JsonlReader(Files.newInputStream(upload), validator.limits().maxLineBytes());
                     ExampleBatchWriter writer = new ExampleBatchWriter(connection, job.datasetId, versionId, config.importing().batchSize())) {
                    // Lines are prepared (parsed, converted, validated, hashed) in chunks on the preparer threads
                    // while this thread writes earlier chunks, in file order; at most a few chunks are in flight.
                    Deque<Future<PreparedChunk>> inFlight = new ArrayDeque<>();
                    int maxInFlight = 2 * preparerCount;
                    boolean more = true;
                    while (more || !inFlight.isEmpty()) {
                        if (more) {
                            List<JsonlReader.Line> lines = new ArrayList<>(CHUNK_LINES);
                            for (JsonlReader.Line line = reader.next(); line != null; line = lines.size() < CHUNK_LINES ? reader.next() : null) {
                                lines.add(line);
                            }
                            more = lines.size() == CHUNK_LINES;
                            if (!lines.isEmpty()) {
                                long bytesSoFar = reader.bytesRead();
                                inFlight.add(preparers.submit(() -> prepare(lines, format, bytesSoFar)));
                            }
                        }
                        if (!inFlight.isEmpty() && (!more || inFlight.size() >= maxInFlight)) {
                            PreparedChunk chunk = await(inFlight.poll());
                            consumer.consume(chunk, writer);
                            long now = System.currentTimeMillis();
                            if (now - lastProgress >= PROGRESS_EVERY_MILLIS) {
                                saveProgress(job.id, progress);
                                lastProgress = now;
                            }
                        }
                    }
                    progress.bytesRead = reader.bytesRead();
                    if (!consumer.rejecting) {
                        writer.flush();
                    }
                }
                boolean rejecting = consumer.rejecting;
                long invalidStored = consumer.invalidStored;
                if (rejecting) {
                    connection.rollback();
                    progress.examplesStored = 0;
                    finish(job.id, ImportJob.State.REJECTED, null, progress, "strict import rejected: "
                            + progress.invalidLines + " invalid line(s); nothing was stored. Fix them, or import with mode=lenient to store the valid lines");
                    return new Outcome(ImportJob.State.REJECTED, null, progress);
                }
                if (progress.examplesStored == 0) {
                    connection.rollback();
                    finish(job.id, ImportJob.State.REJECTED, null, progress, progress.linesRead == 0
                            ? "the upload is empty; nothing was stored"
                            : "no line held a usable example; nothing was stored");
                    return new Outcome(ImportJob.State.REJECTED, null, progress);
                }
                int number = assignNumber(connection, job.datasetId, versionId,
                        baseCount + (int) progress.examplesStored, baseInvalid + (int) invalidStored);
                writeResult(connection, job.id, ImportJob.State.SUCCEEDED, number, progress,
                        "stored " + progress.examplesStored + " example(s) as version " + number);
                connection.commit();
                if (config.tokens().countAfterImport()) {
                    tokenCounts.schedule(versionId);
                }
                return new Outcome(ImportJob.State.SUCCEEDED, number, progress);
            } catch (IOException | SQLException | InterruptedException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** A run of lines and what became of each: null for blank lines and lines that could not be read. */
    private record PreparedChunk(List<JsonlReader.Line> lines, PreparedExample[] examples, long bytesReadAfter) {}

    private PreparedChunk prepare(List<JsonlReader.Line> lines, ImportFormat format, long bytesReadAfter) {
        PreparedExample[] examples = new PreparedExample[lines.size()];
        for (int i = 0; i < examples.length; i++) {
            JsonlReader.Line line = lines.get(i);
            if (!line.hasError() && !line.isBlank()) {
                // fromJsonText turns whatever goes wrong into the line's problem; it never throws
                examples[i] = PreparedExample.fromJsonText(line.text(), format, validator);
            }
        }
        return new PreparedChunk(lines, examples, bytesReadAfter);
    }

    private static PreparedChunk await(Future<PreparedChunk> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    /** Takes prepared lines in file order: reports problems, spots duplicates, writes the keepers. */
    private final class LineConsumer {
        private final ImportJob job;
        private final boolean strict;
        private final int maxProblems;
        private final Progress progress;
        private final Map<HashKey, Long> firstSeen;
        private int position;
        boolean rejecting;
        long invalidStored;

        LineConsumer(ImportJob job, boolean strict, int maxProblems, Progress progress, Map<HashKey, Long> firstSeen, int position) {
            this.job = job;
            this.strict = strict;
            this.maxProblems = maxProblems;
            this.progress = progress;
            this.firstSeen = firstSeen;
            this.position = position;
        }

        void consume(PreparedChunk chunk, ExampleBatchWriter writer) throws SQLException, JsonProcessingException {
            for (int i = 0; i < chunk.lines().size(); i++) {
                JsonlReader.Line line = chunk.lines().get(i);
                progress.linesRead = line.number();
                if (line.hasError()) {
                    progress.invalidLines++;
                    report(progress, maxProblems, line.number(), ImportProblem.ROOT, line.error(), ReportedProblem.ERROR);
                    rejecting |= strict;
                } else if (line.isBlank()) {
                    progress.blankLines++;
                } else {
                    consume(line.number(), chunk.examples()[i], writer);
                }
                if (line.number() % LOG_EVERY_LINES == 0) {
                    LOG.infof("import %d into dataset %d: %d lines (%d%%), %d stored, %d invalid",
                            job.id, job.datasetId, line.number(), percent(chunk.bytesReadAfter(), job.bytesTotal),
                            progress.examplesStored, progress.invalidLines);
                }
            }
            progress.bytesRead = chunk.bytesReadAfter();
        }

        private void consume(long lineNumber, PreparedExample example, ExampleBatchWriter writer) throws SQLException, JsonProcessingException {
            for (ImportProblem problem : example.problems()) {
                report(progress, maxProblems, lineNumber, problem.path(), problem.reason(), ReportedProblem.ERROR);
            }
            boolean keep = example.valid() || (!strict && job.keepInvalid && example.storable());
            if (!example.valid()) {
                progress.invalidLines++;
                rejecting |= strict;
            }
            if (keep) {
                Long earlier = firstSeen.putIfAbsent(HashKey.of(example.contentHash()), lineNumber);
                if (earlier != null) {
                    progress.duplicateLines++;
                    report(progress, maxProblems, lineNumber, ImportProblem.ROOT, duplicateReason(earlier, job.dropDuplicates), ReportedProblem.WARNING);
                    keep = !job.dropDuplicates;
                }
            }
            if (keep && !rejecting) {
                String problemsJson = example.valid() ? null : ChatJson.MAPPER.writeValueAsString(example.problems());
                writer.add(example, problemsJson, lineNumber, position++);
                progress.examplesStored++;
                if (!example.valid()) {
                    invalidStored++;
                }
            }
        }
    }

    private static String duplicateReason(long earlier, boolean dropped) {
        String of = earlier > 0 ? "line " + earlier : "example " + (-earlier) + " of the version appended to";
        return "exact duplicate (after normalisation) of " + of + (dropped ? "; left out" : "; stored anyway, use dropDuplicates=true to leave duplicates out");
    }

    private static void report(Progress progress, int maxProblems, long line, String path, String reason, String severity) {
        progress.problemCount++;
        if (progress.problems.size() < maxProblems) {
            progress.problems.add(new ReportedProblem(line, path, reason, severity));
        }
    }

    static int percent(long done, long total) {
        return total <= 0 ? 0 : (int) Math.min(100, done * 100 / total);
    }

    private record BaseVersion(int number, int exampleCount, int invalidCount) {}

    private static BaseVersion latestVersion(Connection connection, long datasetId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                select number, example_count, invalid_count from dataset_version
                where dataset_id = ? and number is not null order by number desc limit 1""")) {
            statement.setLong(1, datasetId);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? new BaseVersion(rs.getInt(1), rs.getInt(2), rs.getInt(3)) : null;
            }
        }
    }

    private static long insertPendingVersion(Connection connection, ImportJob job, Integer parentNumber) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                insert into dataset_version (dataset_id, number, parent_number, origin, note, import_job_id, created_at)
                values (?, null, ?, 'IMPORT', ?, ?, now()) returning id""")) {
            statement.setLong(1, job.datasetId);
            statement.setObject(2, parentNumber);
            statement.setString(3, (parentNumber == null ? "import " : "import appended to version " + parentNumber + ", ")
                    + "job " + job.id + " (" + job.format.toLowerCase() + ", " + job.mode.name().toLowerCase() + ")");
            statement.setLong(4, job.id);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Copies the base version's membership; returns the next free position. Remembers hashes for duplicates. */
    private static int copyMembers(Connection connection, long datasetId, int baseNumber, long versionId,
                                   Map<HashKey, Long> firstSeen) throws SQLException {
        try (PreparedStatement copy = connection.prepareStatement("""
                insert into version_example (version_id, position, example_id)
                select ?, ve.position, ve.example_id from version_example ve
                join dataset_version v on v.id = ve.version_id where v.dataset_id = ? and v.number = ?""")) {
            copy.setLong(1, versionId);
            copy.setLong(2, datasetId);
            copy.setInt(3, baseNumber);
            copy.executeUpdate();
        }
        try (PreparedStatement hashes = connection.prepareStatement("""
                select e.id, e.content_hash from version_example ve join example e on e.id = ve.example_id
                where ve.version_id = ?""")) {
            hashes.setLong(1, versionId);
            hashes.setFetchSize(5000);
            try (ResultSet rs = hashes.executeQuery()) {
                while (rs.next()) {
                    firstSeen.putIfAbsent(HashKey.of(rs.getBytes(2)), -rs.getLong(1));
                }
            }
        }
        try (PreparedStatement next = connection.prepareStatement(
                "select coalesce(max(position) + 1, 0) from version_example where version_id = ?")) {
            next.setLong(1, versionId);
            try (ResultSet rs = next.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Numbers the version under a lock on the dataset row, held only until this transaction commits. */
    static int assignNumber(Connection connection, long datasetId, long versionId, int exampleCount, int invalidCount) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("select id from dataset where id = ? for update")) {
            lock.setLong(1, datasetId);
            try (ResultSet rs = lock.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("dataset " + datasetId + " was deleted during the import");
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

    private static void writeResult(Connection connection, long jobId, ImportJob.State state, Integer number,
                                    Progress progress, String message) throws SQLException, JsonProcessingException {
        try (PreparedStatement update = connection.prepareStatement("""
                update import_job set state = ?, version_number = ?, message = ?, bytes_read = ?, lines_read = ?,
                    examples_stored = ?, invalid_lines = ?, duplicate_lines = ?, blank_lines = ?, problem_count = ?,
                    problems = ?::jsonb, finished_at = now()
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
            update.setString(11, JsonbText.safe(ChatJson.MAPPER.writeValueAsString(progress.problems)));
            update.setLong(12, jobId);
            update.executeUpdate();
        }
    }

    private void finish(long jobId, ImportJob.State state, Integer number, Progress progress, String message) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            writeResult(connection, jobId, state, number, progress, message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void finishFailed(long jobId, String message) {
        try {
            QuarkusTransaction.requiringNew().run(() -> ImportJob.update(
                    "state = ?1, message = ?2, finishedAt = ?3, examplesStored = 0 where id = ?4",
                    ImportJob.State.FAILED, message, Instant.now(), jobId));
        } catch (RuntimeException e) {
            LOG.errorf(e, "could not record the failure of import %d", jobId);
        }
    }

    private void saveProgress(long jobId, Progress progress) {
        QuarkusTransaction.requiringNew().run(() -> ImportJob.update("""
                bytesRead = ?1, linesRead = ?2, examplesStored = ?3, invalidLines = ?4, duplicateLines = ?5,
                blankLines = ?6, problemCount = ?7 where id = ?8""",
                progress.bytesRead, progress.linesRead, progress.examplesStored, progress.invalidLines,
                progress.duplicateLines, progress.blankLines, progress.problemCount, jobId));
    }

    /** Spools a request body to a temporary file, so the import can run (and report progress) after the upload. */
    public static long spool(InputStream body, Path target) throws IOException {
        return Files.copy(body, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
