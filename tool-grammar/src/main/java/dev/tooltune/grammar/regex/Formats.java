package dev.tooltune.grammar.regex;

import com.networknt.org.apache.commons.validator.routines.DomainValidator;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * JSON Schema {@code format}s written as patterns, so the grammar enforces them while generating. Each pattern is a
 * subset of what the post-check's validator (networknt) accepts, never more: a generated value always passes it
 * (dates stop at day 28 of February; time offsets stay within what its time parsers take, below; e-mail addresses use a plain dot-atom local part of up to three atoms, one
 * or two domain labels, and a common or country-code top-level domain the validator knows). Formats not listed here are checked after generation only.
 */
public final class Formats {
    private static final String DATE = "[12]\\d{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])"
            + "|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))";
    private static final String PARTIAL_TIME = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?";
    /**
     * Offsets the validator accepts whatever the local time: its {@code time} rejects a negative offset whenever
     * local time minus the offset passes midnight (23:00-05:00), so {@code time} gets {@code Z} and positive
     * offsets only; its {@code date-time} takes offsets up to 17:59 either way but not {@code -00:00}.
     */
    private static final String TIME_OFFSET = "(?:Z|\\+(?:0\\d|1[0-7]):[0-5]\\d)";
    private static final String DATE_TIME_OFFSET = "(?:Z|\\+(?:0\\d|1[0-7]):[0-5]\\d|-(?:0[1-9]|1[0-7]):[0-5]\\d"
            + "|-00:(?:0[1-9]|[1-5]\\d))";
    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final String HEX = "[0-9a-fA-F]";

    private static final Map<String, String> PATTERNS = Map.of(
            "date", "^" + DATE + "$",
            "time", "^" + PARTIAL_TIME + TIME_OFFSET + "$",
            "date-time", "^" + DATE + "T" + PARTIAL_TIME + DATE_TIME_OFFSET + "$",
            "uuid", "^" + HEX + "{8}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{12}$",
            "ipv4", "^" + OCTET + "(?:\\." + OCTET + "){3}$");

    /** The formats enforced while generating. */
    public static final java.util.List<String> ENFORCED = java.util.List.of("date", "time", "date-time", "email", "uuid", "ipv4");

    private static volatile String email;

    private Formats() {}

    /** The pattern that enforces {@code format}, or null when it is left to the post-check. */
    public static String pattern(String format) {
        return "email".equals(format) ? email() : PATTERNS.get(format);
    }

    /**
     * Top-level domains offered in e-mail addresses: the common generic ones and every country code the validator
     * knows. Not the validator's full list of ~1,500: its names overlap domain labels, and the automaton's states
     * (each with its own mask) would multiply.
     */
    private static final java.util.List<String> GENERIC_DOMAINS = java.util.List.of("com", "org", "net", "edu", "gov",
            "mil", "int", "info", "biz", "io", "ai", "app", "dev", "xyz", "online", "site", "tech", "store", "cloud",
            "email", "shop", "pro", "name", "mobi", "travel", "jobs", "museum", "aero", "coop", "company", "group");

    private static String email() {
        if (email == null) {
            java.util.Set<String> known = new java.util.HashSet<>(Arrays.asList(
                    DomainValidator.getTLDEntries(DomainValidator.ArrayType.GENERIC_RO)));
            String topLevel = Stream.concat(GENERIC_DOMAINS.stream().filter(known::contains),
                            Arrays.stream(DomainValidator.getTLDEntries(DomainValidator.ArrayType.COUNTRY_CODE_RO)))
                    .filter(tld -> tld.matches("[a-z]{2,}"))
                    .sorted()
                    .collect(Collectors.joining("|"));
            String atom = "[A-Za-z0-9_+-]{1,16}";
            String label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,14}[A-Za-z0-9])?";
            email = "^" + atom + "(?:\\." + atom + "){0,2}@(?:" + label + "\\.){1,2}(?:" + topLevel + ")$";
        }
        return email;
    }
}
