package dev.tooltune.dataset.importing;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tooltune.chat.ChatJson;
import java.time.Instant;
import java.util.List;

/** An import job as clients see it: options, progress while running, and the report when finished. */
public record ImportJobView(
        long id,
        long datasetId,
        ImportJob.State state,
        ImportJob.Mode mode,
        String format,
        boolean keepInvalid,
        boolean dropDuplicates,
        boolean append,
        String undeclaredArguments,
        boolean normalizeSchemaTypes,
        Progress progress,
        Integer versionNumber,
        long examplesStored,
        long invalidLines,
        long duplicateLines,
        long blankLines,
        long problemCount,
        boolean problemsTruncated,
        List<ReportedProblem> problems,
        String message,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt) {

    /** {@code percent} is of bytes read from the spooled upload. */
    public record Progress(long bytesRead, long bytesTotal, int percent, long linesRead) {}

    private static final TypeReference<List<ReportedProblem>> PROBLEMS = new TypeReference<>() {};

    public static ImportJobView of(ImportJob job) {
        List<ReportedProblem> problems;
        try {
            problems = job.problems == null ? List.of() : ChatJson.MAPPER.readValue(job.problems, PROBLEMS);
        } catch (Exception e) {
            problems = List.of();
        }
        int percent = job.state == ImportJob.State.SUCCEEDED ? 100 : ImportProgress.percent(job.bytesRead, job.bytesTotal);
        return new ImportJobView(job.id, job.datasetId, job.state, job.mode, job.format.name().toLowerCase(), job.keepInvalid,
                job.dropDuplicates, job.append, job.undeclaredArguments.name().toLowerCase(), job.normalizeSchemaTypes, new Progress(job.bytesRead, job.bytesTotal, percent, job.linesRead),
                job.versionNumber, job.examplesStored, job.invalidLines, job.duplicateLines, job.blankLines,
                job.problemCount, job.problemCount > problems.size(), problems, job.message,
                job.createdAt, job.startedAt, job.finishedAt);
    }
}
