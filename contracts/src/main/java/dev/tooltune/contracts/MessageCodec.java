package dev.tooltune.contracts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.events.UnrecognizedTrainingEvent;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.jobs.UnrecognizedJobCommand;
import dev.tooltune.contracts.validation.InvalidMessageException;
import dev.tooltune.contracts.validation.Validatable;
import dev.tooltune.contracts.validation.Violation;
import dev.tooltune.contracts.validation.Violations;

/**
 * Turns the messages of one topic into UTF-8 JSON record values and back, checking the contract both ways: a
 * producer cannot send an invalid message, and a consumer gets either a valid message or an
 * {@link InvalidMessageException} that names every bad field. Kafka-free, so that any client library can use it.
 *
 * <p>Every value is a JSON object with {@code schemaVersion} first. Readers ignore fields they do not know
 * (newer producers may add optional ones) and refuse a schemaVersion newer than their topic's
 * {@link Topics.Topic#schemaVersion()}. Thread-safe.
 */
public final class MessageCodec<T extends Validatable> {

    public static final MessageCodec<JobCommand> TRAINING_JOBS =
            new MessageCodec<>(Topics.TRAINING_JOBS, JobCommand.class, JobCommand::jobId);
    public static final MessageCodec<JobCommand> TRAINING_CANCELS =
            new MessageCodec<>(Topics.TRAINING_CANCELS, JobCommand.class, JobCommand::jobId);
    public static final MessageCodec<TrainingEvent> TRAINING_EVENTS =
            new MessageCodec<>(Topics.TRAINING_EVENTS, TrainingEvent.class, TrainingEvent::jobId);
    public static final MessageCodec<Adapter> ADAPTERS =
            new MessageCodec<>(Topics.ADAPTERS, Adapter.class, Adapter::adapterId);

    static final String SCHEMA_VERSION = "schemaVersion";

    // Strict about types (no "3" for 3, no 2.5 for an integer), tolerant about unknown fields.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    private final Topics.Topic topic;
    private final Class<T> type;
    private final Function<T, String> keyOf;

    private MessageCodec(Topics.Topic topic, Class<T> type, Function<T, String> keyOf) {
        this.topic = topic;
        this.type = type;
        this.keyOf = keyOf;
    }

    public Topics.Topic topic() {
        return topic;
    }

    /** The Kafka record key for this message (see {@link Topics.Topic#key()}). */
    public String key(T message) {
        return keyOf.apply(message);
    }

    public byte[] encode(T message) {
        return toJson(message).getBytes(StandardCharsets.UTF_8);
    }

    public String toJson(T message) {
        if (message instanceof UnrecognizedJobCommand || message instanceof UnrecognizedTrainingEvent) {
            throw new IllegalArgumentException("an unrecognized " + topic.name() + " message is only ever read, "
                    + "never sent: " + message);
        }
        check(message);
        ObjectNode body = JSON.valueToTree(message);
        ObjectNode value = JSON.createObjectNode().put(SCHEMA_VERSION, topic.schemaVersion());
        value.setAll(body);
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + topic.name() + " message " + message, e);
        }
    }

    /**
     * Reads a record value. A null value is not a message: on {@code adapters} it is a tombstone (the adapter
     * was deleted), which consumers handle before calling this.
     */
    public T decode(byte[] value) {
        if (value == null) {
            throw invalid("$", "the record value is null (on adapters, a tombstone: handle it before decoding)");
        }
        return fromJson(new String(value, StandardCharsets.UTF_8));
    }

    public T fromJson(String json) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw invalid("$", "not valid JSON: " + e.getOriginalMessage() + at(e.getLocation()));
        }
        if (tree == null || !tree.isObject()) {
            throw invalid("$", "must be a JSON object, was " + (tree == null ? "empty" : tree.getNodeType()));
        }
        checkSchemaVersion(tree.get(SCHEMA_VERSION));
        T message;
        try {
            message = JSON.treeToValue(tree, type);
        } catch (MismatchedInputException e) {
            throw invalid(path(e), describeMismatch(e, nodeAt(tree, e.getPath())));
        } catch (JsonMappingException e) {
            throw invalid(path(e), e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("$", e.getMessage());
        }
        check(message);
        return message;
    }

    private void checkSchemaVersion(JsonNode version) {
        if (version == null || version.isNull()) {
            throw invalid(SCHEMA_VERSION, "is required");
        }
        if (!version.canConvertToExactIntegral() || !version.isNumber()) {
            throw invalid(SCHEMA_VERSION, "must be a whole number (was " + version + ")");
        }
        int number = version.asInt();
        if (number < 1) {
            throw invalid(SCHEMA_VERSION, "must be 1 or more (was " + number + ")");
        }
        if (number > topic.schemaVersion()) {
            throw invalid(SCHEMA_VERSION, "is " + number + ", newer than this reader of " + topic.name()
                    + " understands (1 to " + topic.schemaVersion() + "); upgrade this service");
        }
    }

    private void check(T message) {
        Violations violations = new Violations();
        message.validate(violations);
        if (!violations.isEmpty()) {
            throw new InvalidMessageException(topic.name(), violations.list());
        }
    }

    private InvalidMessageException invalid(String field, String problem) {
        return new InvalidMessageException(topic.name(), List.of(new Violation(field, problem)));
    }

    /** "must be a whole number (was "three")", or for an enum the values it accepts. */
    private static String describeMismatch(MismatchedInputException e, JsonNode actual) {
        Class<?> target = e.getTargetType();
        String was = actual == null ? "" : " (was " + abbreviate(actual.toString()) + ")";
        if (target == null) {
            return e.getOriginalMessage();
        }
        if (target.isEnum()) {
            List<String> accepted = new ArrayList<>();
            for (Object constant : target.getEnumConstants()) {
                accepted.add(JSON.convertValue(constant, String.class));
            }
            return (actual == null ? "is" : abbreviate(actual.toString()).replace('"', '\'')) + " is not one of "
                    + String.join(", ", accepted);
        }
        return "must be " + expected(target) + was;
    }

    private static String expected(Class<?> target) {
        if (target == Integer.class || target == Long.class || target == int.class || target == long.class) {
            return "a whole number";
        }
        if (target == Double.class || target == double.class) {
            return "a number";
        }
        if (target == Boolean.class || target == boolean.class) {
            return "true or false";
        }
        if (target == String.class) {
            return "a string";
        }
        if (target == Instant.class) {
            return "an ISO-8601 instant such as \"2026-11-27T20:30:00Z\"";
        }
        if (List.class.isAssignableFrom(target)) {
            return "an array";
        }
        return "an object";
    }

    private static JsonNode nodeAt(JsonNode root, List<JsonMappingException.Reference> path) {
        JsonNode node = root;
        for (JsonMappingException.Reference reference : path) {
            if (node == null) {
                return null;
            }
            node = reference.getFieldName() != null ? node.get(reference.getFieldName()) : node.get(reference.getIndex());
        }
        return node;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    /** The JSON path of the field Jackson could not bind, e.g. {@code hyperparameters.epochs}. */
    private static String path(JsonMappingException e) {
        if (e.getPath().isEmpty()) {
            return "$";
        }
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "$" : path.toString();
    }

    private static String at(JsonLocation location) {
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    @Override
    public String toString() {
        return "MessageCodec[" + topic.name() + " -> " + type.getSimpleName() + "]";
    }
}
