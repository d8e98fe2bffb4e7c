package dev.tooltune.contracts.validation;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A message that breaks its topic's contract, on the way in (decoding what a consumer received) or on the
 * way out (a producer is stopped before it sends it). Lists every problem found, each with its field.
 */
public class InvalidMessageException extends IllegalArgumentException {

    private final String topic;
    private final List<Violation> violations;

    public InvalidMessageException(String topic, List<Violation> violations) {
        super("invalid " + topic + " message: "
                + violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        this.topic = topic;
        this.violations = List.copyOf(violations);
    }

    public String topic() {
        return topic;
    }

    public List<Violation> violations() {
        return violations;
    }
}
