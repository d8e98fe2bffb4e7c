package dev.tooltune.dataset.importing;

import java.util.ArrayList;
import java.util.List;

/**
 * Counters shown while an import runs and kept in its report, with the first problems found: errors first (the lines
 * refused), then warnings, at most {@code maxProblems} in all, so that thousands of warnings never hide an error.
 */
final class ImportProgress {
    long bytesRead;
    long linesRead;
    long examplesStored;
    long invalidLines;
    long duplicateLines;
    long blankLines;
    long problemCount;
    private final List<ReportedProblem> errors = new ArrayList<>();
    private final List<ReportedProblem> warnings = new ArrayList<>();
    private final int maxProblems;

    ImportProgress(int maxProblems) {
        this.maxProblems = maxProblems;
    }

    /** Counts every problem; keeps the first {@code maxProblems} errors and warnings for the report. */
    void report(long line, String path, String reason, String severity) {
        problemCount++;
        List<ReportedProblem> kept = ReportedProblem.ERROR.equals(severity) ? errors : warnings;
        if (kept.size() < maxProblems) {
            kept.add(new ReportedProblem(line, path, reason, severity));
        }
    }

    /** The report's problems: the errors kept, then as many warnings as the cap leaves room for. */
    List<ReportedProblem> problems() {
        List<ReportedProblem> report = new ArrayList<>(errors.subList(0, Math.min(errors.size(), maxProblems)));
        report.addAll(warnings.subList(0, Math.min(warnings.size(), maxProblems - report.size())));
        return report;
    }

    static int percent(long done, long total) {
        return total <= 0 ? 0 : (int) Math.min(100, done * 100 / total);
    }
}
