package dev.tooltune.dataset.importing;

import dev.tooltune.chat.importing.JsonlReader;
import dev.tooltune.dataset.validation.ExampleValidator;
import dev.tooltune.dataset.validation.LineRules;
import dev.tooltune.dataset.validation.PreparedExample;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Reads a JSONL stream in chunks of lines, prepares each chunk (parse, convert, normalise, validate, hash) on the
 * shared preparer threads, and hands the prepared chunks to the caller's thread in file order. At most
 * {@code 2 x preparers} chunks are in flight, so memory stays flat whatever the file's size. Knows nothing of what
 * becomes of a line, nor of the database.
 */
final class LinePipeline {
    static final int CHUNK_LINES = 200;

    /** A run of lines and what became of each: null for blank lines and lines that could not be read. */
    record PreparedChunk(List<JsonlReader.Line> lines, PreparedExample[] examples, long bytesReadAfter) {}

    interface ChunkHandler {
        void handle(PreparedChunk chunk) throws SQLException, IOException;
    }

    private final ExecutorService preparers;
    private final int maxInFlight;
    private final ExampleValidator validator;
    private final LineRules rules;

    LinePipeline(ExecutorService preparers, int preparerCount, ExampleValidator validator, LineRules rules) {
        this.preparers = preparers;
        this.maxInFlight = 2 * preparerCount;
        this.validator = validator;
        this.rules = rules;
    }

    /** Runs the whole stream through; returns when the last chunk has been handled. */
    void run(JsonlReader reader, ChunkHandler handler) throws IOException, SQLException, InterruptedException {
        Deque<Future<PreparedChunk>> inFlight = new ArrayDeque<>();
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
                    inFlight.add(preparers.submit(() -> prepare(lines, bytesSoFar)));
                }
            }
            if (!inFlight.isEmpty() && (!more || inFlight.size() >= maxInFlight)) {
                handler.handle(await(inFlight.poll()));
            }
        }
    }

    private PreparedChunk prepare(List<JsonlReader.Line> lines, long bytesReadAfter) {
        PreparedExample[] examples = new PreparedExample[lines.size()];
        for (int i = 0; i < examples.length; i++) {
            JsonlReader.Line line = lines.get(i);
            if (!line.hasError() && !line.isBlank()) {
                // fromJsonText turns whatever goes wrong into the line's problem; it never throws
                examples[i] = PreparedExample.fromJsonText(line.text(), rules, validator);
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
}
