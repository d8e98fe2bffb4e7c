package dev.tooltune.dataset.importing;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ImportProblem;
import dev.tooltune.chat.importing.JsonlReader;
import dev.tooltune.dataset.example.ExampleRows;
import dev.tooltune.dataset.validation.PreparedExample;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * What becomes of each prepared line, in file order, under the import's options: its problems and warnings are
 * reported, exact duplicates spotted, and the keepers handed to the writer; a strict import stops writing at the
 * first invalid line (and goes on reporting). Counts everything in the job's {@link ImportProgress}.
 */
final class LinePolicy {
    private final ImportOptions options;
    private final ImportProgress progress;
    private final ExampleRows writer;
    /** Content hash to the line that had it first (negative: an example id of the version appended to). */
    private final Map<HashKey, Long> firstSeen = new HashMap<>();
    private int position;
    private boolean rejecting;
    private long invalidStored;

    /** The first 16 bytes of an example's SHA-256: enough to tell exact duplicates apart, half the memory. */
    private record HashKey(long high, long low) {
        static HashKey of(byte[] sha256) {
            ByteBuffer buffer = ByteBuffer.wrap(sha256);
            return new HashKey(buffer.getLong(), buffer.getLong());
        }
    }

    LinePolicy(ImportOptions options, ImportProgress progress, ExampleRows writer, int firstPosition) {
        this.options = options;
        this.progress = progress;
        this.writer = writer;
        this.position = firstPosition;
    }

    /** An example already in the version (an append's base): a line equal to it is a duplicate. */
    void alreadyStored(long exampleId, byte[] contentHash) {
        firstSeen.putIfAbsent(HashKey.of(contentHash), -exampleId);
    }

    /** True once a strict import met an invalid line: nothing will be stored. */
    boolean rejecting() {
        return rejecting;
    }

    long invalidStored() {
        return invalidStored;
    }

    void take(LinePipeline.PreparedChunk chunk) throws SQLException {
        for (int i = 0; i < chunk.lines().size(); i++) {
            JsonlReader.Line line = chunk.lines().get(i);
            progress.linesRead = line.number();
            if (line.hasError()) {
                progress.invalidLines++;
                progress.report(line.number(), ImportProblem.ROOT, line.error(), ReportedProblem.ERROR);
                rejecting |= options.strict();
            } else if (line.isBlank()) {
                progress.blankLines++;
            } else {
                take(line.number(), chunk.examples()[i]);
            }
        }
        progress.bytesRead = chunk.bytesReadAfter();
    }

    private void take(long lineNumber, PreparedExample example) throws SQLException {
        for (ImportProblem problem : example.problems()) {
            progress.report(lineNumber, problem.path(), problem.reason(), ReportedProblem.ERROR);
        }
        for (ImportProblem warning : example.warnings()) {
            progress.report(lineNumber, warning.path(), warning.reason(), ReportedProblem.WARNING);
        }
        boolean keep = example.valid() || (!options.strict() && options.keepInvalid() && example.storable());
        if (!example.valid()) {
            progress.invalidLines++;
            rejecting |= options.strict();
        }
        if (keep) {
            Long earlier = firstSeen.putIfAbsent(HashKey.of(example.contentHash()), lineNumber);
            if (earlier != null) {
                progress.duplicateLines++;
                progress.report(lineNumber, ImportProblem.ROOT, duplicateReason(earlier, options.dropDuplicates()), ReportedProblem.WARNING);
                keep = !options.dropDuplicates();
            }
        }
        if (keep && !rejecting) {
            writer.add(example, example.valid() ? null : json(example), lineNumber, position++);
            progress.examplesStored++;
            if (!example.valid()) {
                invalidStored++;
            }
        }
    }

    private static String json(PreparedExample example) {
        try {
            return ChatJson.MAPPER.writeValueAsString(example.problems());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("problems are plain records", e);
        }
    }

    private static String duplicateReason(long earlier, boolean dropped) {
        String of = earlier > 0 ? "line " + earlier : "example " + (-earlier) + " of the version appended to";
        return "exact duplicate (after normalisation) of " + of + (dropped ? "; left out" : "; stored anyway, use dropDuplicates=true to leave duplicates out");
    }
}
