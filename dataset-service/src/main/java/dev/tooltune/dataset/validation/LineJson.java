package dev.tooltune.dataset.validation;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.regex.Pattern;

/**
 * Parses uploaded text and describes what is wrong with it in the user's terms. The parser never copies the input
 * into its locations ({@link StreamReadFeature#INCLUDE_SOURCE_IN_LOCATION} off), and {@link #describe} keeps only
 * the parser's own sentence: no "[Source: ...]" location text, no names of Jackson's classes or settings.
 */
public final class LineJson {
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            // a line (or an arguments string) is one JSON value: "{...}," or "{...} {...}" is not
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);

    /** Jackson's embedded locations, e.g. "(start marker at [Source: REDACTED (...); line: 1, column: 2])". */
    private static final Pattern LOCATION = Pattern.compile("\\s*\\[Source:[^\\]]*?column: (\\d+)\\]");
    private static final Pattern STRAY_LOCATION = Pattern.compile("\\s*\\[Source:.*", Pattern.DOTALL);
    /** Code names in backticks, e.g. (from `StreamReadConstraints.getMaxNestingDepth()`). */
    private static final Pattern CODE = Pattern.compile(",?\\s*\\(?(from )?`[^`]*`( disabled)?\\)?");

    private LineJson() {}

    /** What is wrong with the text, without the parser's internals. */
    public static String describe(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (e instanceof StreamConstraintsException) {
            if (message.contains("nesting depth")) {
                return "nested more than " + readLimit(message) + " levels deep";
            }
            if (message.startsWith("Number value length")) {
                return "holds a number longer than " + readLimit(message) + " characters";
            }
            if (message.startsWith("String value length")) {
                return "holds a string longer than " + readLimit(message) + " characters";
            }
            if (message.startsWith("Name length")) {
                return "holds a field name longer than " + readLimit(message) + " characters";
            }
            return "exceeds a size limit of the JSON reader";
        }
        if (message.startsWith("Trailing token")) {
            return "more than one JSON value (something follows the first value)";
        }
        message = LOCATION.matcher(message).replaceAll(" column $1");
        message = STRAY_LOCATION.matcher(message).replaceAll("");
        message = CODE.matcher(message).replaceAll("");
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /** The limit in Jackson's "exceeds the maximum allowed (1000, from ...)". */
    private static String readLimit(String message) {
        java.util.regex.Matcher limit = Pattern.compile("maximum allowed \\((\\d+)").matcher(message);
        return limit.find() ? limit.group(1) : "the allowed";
    }
}
