package dev.tooltune.dataset.importing;

/**
 * A problem found on one line of an upload. {@code severity} is {@code error} (the line is not stored as a
 * valid example) or {@code warning} (stored anyway, e.g. an exact duplicate).
 */
public record ReportedProblem(long line, String path, String reason, String severity) {
    public static final String ERROR = "error";
    public static final String WARNING = "warning";
}
