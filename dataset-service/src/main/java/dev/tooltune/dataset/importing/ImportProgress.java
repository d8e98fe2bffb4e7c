package dev.tooltune.dataset.importing;

import java.util.ArrayList;
import java.util.List;

/** Counters shown while an import runs and kept in its report, with the first problems found. */
final class ImportProgress {
    long bytesRead;
    long linesRead;
    long examplesStored;
    long invalidLines;
    long duplicateLines;
    long blankLines;
    long problemCount;
    final List<ReportedProblem> problems = new ArrayList<>();
    private final int maxProblems;

    ImportProgress(int maxProblems) {
        this.maxProblems = maxProblems;
    }

    /** Counts every problem; keeps the first {@code maxProblems} for the report. */
    void report(long line, String path, String reason, String severity) {
        problemCount++;
        if (problems.size() < maxProblems) {
            problems.add(new ReportedProblem(line, path, reason, severity));
        }
    }

    static int percent(long done, long total) {
        return total <= 0 ? 0 : (int) Math.min(100, done * 100 / total);
    }
}
