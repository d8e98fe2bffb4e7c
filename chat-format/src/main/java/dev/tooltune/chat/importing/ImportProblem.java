package dev.tooltune.chat.importing;

/**
 * One thing wrong with an example: where ({@code path}, a JSON path such as
 * {@code $.messages[2].tool_calls[0].function.arguments}) and why, in words a person can act on.
 */
public record ImportProblem(String path, String reason) {
    public static final String ROOT = "$";
}
