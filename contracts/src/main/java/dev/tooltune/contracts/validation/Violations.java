package dev.tooltune.contracts.validation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Collects the problems of one message. A view for a nested object ({@link #at}) shares the list and prefixes
 * the field names, so that problems come out as full paths such as {@code hyperparameters.epochs}.
 */
public final class Violations {

    /** Ids of tenants, jobs, datasets, adapters and events: safe in URLs, file names and Kafka keys. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private final List<Violation> found;
    private final String prefix;

    public Violations() {
        this(new ArrayList<>(), "");
    }

    private Violations(List<Violation> found, String prefix) {
        this.found = found;
        this.prefix = prefix;
    }

    /** The violations of the field {@code field}'s own fields are reported as {@code field.x}. */
    public Violations at(String field) {
        return new Violations(found, path(field));
    }

    public void add(String field, String problem) {
        found.add(new Violation(path(field), problem));
    }

    public List<Violation> list() {
        return List.copyOf(found);
    }

    public boolean isEmpty() {
        return found.isEmpty();
    }

    /** Reports a missing (null) or blank value; true when the value is present. */
    public boolean required(String field, Object value) {
        if (value == null) {
            add(field, "is required");
            return false;
        }
        if (value instanceof String text && text.isBlank()) {
            add(field, "must not be blank");
            return false;
        }
        return true;
    }

    public void check(boolean holds, String field, String problem) {
        if (!holds) {
            add(field, problem);
        }
    }

    /** A required id of tenants, jobs, datasets, adapters or events (see {@link #ID}). */
    public void id(String field, String value) {
        if (required(field, value)) {
            matches(field, value, ID, "1 to 128 characters: letters, digits, '.', '_', ':' or '-', "
                    + "starting with a letter or digit");
        }
    }

    public void matches(String field, String value, Pattern pattern, String rule) {
        if (value != null && !pattern.matcher(value).matches()) {
            add(field, "'" + abbreviate(value) + "' is not valid: " + rule);
        }
    }

    public void maxLength(String field, String value, int maxChars) {
        if (value != null && value.length() > maxChars) {
            add(field, "is " + value.length() + " characters long; at most " + maxChars + " are allowed");
        }
    }

    /** A required whole number within [min, max]. */
    public void range(String field, Long value, long min, long max) {
        if (required(field, value) && (value < min || value > max)) {
            add(field, "must be between " + min + " and " + max + " (was " + value + ")");
        }
    }

    public void range(String field, Integer value, long min, long max) {
        range(field, value == null ? null : value.longValue(), min, max);
    }

    /** An optional finite number that is not negative. */
    public void nonNegative(String field, Double value) {
        if (value != null && !(Double.isFinite(value) && value >= 0)) {
            add(field, "must be a finite number >= 0 (was " + value + ")");
        }
    }

    /** A required object that validates its own fields under {@code field.}. */
    public void nested(String field, Validatable value) {
        if (required(field, value)) {
            value.validate(at(field));
        }
    }

    /** An optional object: validated only when present. */
    public void optionalNested(String field, Validatable value) {
        if (value != null) {
            value.validate(at(field));
        }
    }

    /** A required, non-empty list of distinct, non-blank strings. */
    public void distinctNames(String field, Collection<String> values) {
        if (!required(field, values)) {
            return;
        }
        if (values.isEmpty()) {
            add(field, "must name at least one entry");
        }
        List<String> seen = new ArrayList<>();
        int index = 0;
        for (String value : values) {
            String element = field + "[" + index++ + "]";
            if (required(element, value)) {
                if (seen.contains(value)) {
                    add(element, "'" + abbreviate(value) + "' is listed twice");
                }
                seen.add(value);
            }
        }
    }

    private String path(String field) {
        return prefix.isEmpty() ? field : prefix + "." + field;
    }

    private static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }
}
