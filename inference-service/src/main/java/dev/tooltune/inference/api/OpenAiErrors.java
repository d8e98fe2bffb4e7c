package dev.tooltune.inference.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.validation.ConstraintViolation;
import org.hibernate.validator.engine.HibernateConstraintViolation;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import jakarta.validation.constraints.NotNull;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one mapping from what is wrong with a request body to OpenAI's 400 {@code invalid_request_error}: Jackson's
 * malformed-JSON, type-mismatch and out-of-range errors and Bean Validation's violations all answer with
 * {@code param} set to the field's path as OpenAI writes it ({@code messages[2].tool_calls[0].function.arguments})
 * and a message that names the field and says what is wrong.
 */
public final class OpenAiErrors {
    private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
    /** How a value of these types is described in "expected ..., but got ..." (others: an object). */
    private static final Map<Class<?>, String> EXPECTED = Map.of(
            String.class, "a string",
            Integer.class, "an integer",
            Long.class, "an integer",
            Double.class, "a number",
            Boolean.class, "a boolean",
            ChatCompletionBody.Content.class, "a string or an array of content parts",
            ChatCompletionBody.ToolChoiceBody.class, "'none', 'auto', 'required' or an object naming a function");

    private OpenAiErrors() {}

    /** The first violation (by field path, so that the same request always gets the same answer). */
    public static ApiException of(Collection<? extends ConstraintViolation<?>> violations) {
        ConstraintViolation<?> first = violations.stream()
                .min(Comparator.comparing((ConstraintViolation<?> v) -> param(v.getPropertyPath()))
                        .thenComparing(ConstraintViolation::getMessage))
                .orElseThrow();
        return of(first);
    }

    public static ApiException of(ConstraintViolation<?> violation) {
        String param = param(violation.getPropertyPath());
        String field = param.isEmpty() ? "the request body" : "'" + param + "'";
        boolean missing = RequestRules.MISSING.equals(violation.getMessage())
                || violation.getConstraintDescriptor().getAnnotation() instanceof NotNull;
        String message = violation.getMessage();
        // The client's values, kept out of message interpolation (see RequestRules), go where the message says %s.
        HibernateConstraintViolation<?> hibernate = violation.unwrap(HibernateConstraintViolation.class);
        List<?> values = hibernate.getDynamicPayload(List.class);
        if (values != null) {
            for (Object value : values) {
                int at = message.indexOf("%s");
                if (at >= 0) {
                    message = message.substring(0, at) + value + message.substring(at + 2);
                }
            }
        }
        return ApiException.invalid(param.isEmpty() ? null : param, missing
                ? "Missing required parameter: " + field + "."
                : "Invalid " + field + ": " + message);
    }

    /** Any Jackson failure to read the body into {@link ChatCompletionBody} from {@code parser}. */
    public static ApiException of(JacksonException error, JsonParser parser) {
        JacksonException streaming = streamingCause(error);
        if (streaming instanceof InputCoercionException outOfRange) {
            String param = param(parser.getParsingContext());
            return ApiException.invalid(param, "Invalid '" + param + "': " + outOfRange.getOriginalMessage() + ".");
        }
        if (streaming != null) {
            // Broken JSON (also: invalid UTF-8, a duplicate key, nesting or a number past the reader's limits):
            // where the reader stopped is where the problem is.
            String param = param(parser.getParsingContext());
            return ApiException.invalid(param, "The request body is not valid JSON" + where(streaming, parser)
                    + (param == null ? "" : " at '" + param + "'") + ": " + streaming.getOriginalMessage());
        }
        String param = param(error);
        JsonToken got = parser.currentToken();
        if (error instanceof MismatchedInputException mismatch) {
            if (param == null) {
                return ApiException.invalid(null, "The request body must be a JSON object"
                        + (got == null ? "." : ", but got " + describe(got) + "."));
            }
            if (got != null) {
                return ApiException.invalid(param, "Invalid type for '" + param + "': expected "
                        + describe(mismatch.getTargetType()) + ", but got " + describe(got) + " instead.");
            }
        }
        return ApiException.invalid(param, (param == null ? "Invalid request body" : "Invalid '" + param + "'")
                + ": " + error.getOriginalMessage());
    }

    private static String where(JacksonException error, JsonParser parser) {
        var location = error.getLocation() != null ? error.getLocation() : parser.currentLocation();
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    /** The error of the streaming parser (not of binding) in {@code error}'s causes, if any. */
    private static JacksonException streamingCause(Throwable error) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable at = error; at != null && seen.add(at); at = at.getCause()) {
            if (at instanceof JacksonException jackson && !(at instanceof JsonMappingException)) {
                return jackson;
            }
        }
        return null;
    }

    /** {@code messages[2].tool_calls[0].id} from Bean Validation's path (Java names in JSON's snake_case). */
    static String param(Path path) {
        StringBuilder out = new StringBuilder();
        String previous = null;
        for (Path.Node node : path) {
            if (node.isInIterable() && node.getIndex() != null) {
                out.append('[').append(node.getIndex()).append(']');
            }
            // content's parts are JSON's content array itself: messages[0].content[1], not content.parts[1]
            boolean parts = "parts".equals(node.getName()) && "content".equals(previous);
            if (node.getKind() == ElementKind.PROPERTY && node.getName() != null && !parts) {
                out.append(out.isEmpty() ? "" : ".").append(SNAKE_CASE.translate(node.getName()));
            }
            previous = node.getName();
        }
        return out.toString();
    }

    /** The JSON path of Jackson's references (their names are JSON's already); null at the top. */
    private static String param(JacksonException error) {
        if (!(error instanceof JsonMappingException mapping)) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        List<JsonMappingException.Reference> path = mapping.getPath();
        for (JsonMappingException.Reference reference : path) {
            if (reference.getFieldName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                out.append('[').append(reference.getIndex()).append(']');
            }
        }
        return out.isEmpty() ? null : out.toString();
    }

    /** The JSON path where a streaming parser stands; null at the top. */
    private static String param(JsonStreamContext context) {
        List<JsonStreamContext> chain = new ArrayList<>();
        for (JsonStreamContext at = context; at != null && !at.inRoot(); at = at.getParent()) {
            chain.add(0, at);
        }
        StringBuilder out = new StringBuilder();
        for (JsonStreamContext at : chain) {
            if (at.inObject() && at.getCurrentName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(at.getCurrentName());
            } else if (at.inArray()) {
                out.append('[').append(at.getCurrentIndex()).append(']');
            } else {
                break;
            }
        }
        return out.isEmpty() ? null : out.toString();
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        Class<?> raw = type.isPrimitive() ? boxed(type) : type;
        return EXPECTED.getOrDefault(raw, ObjectNode.class.isAssignableFrom(raw) || raw.isRecord() ? "an object"
                : "a " + raw.getSimpleName());
    }

    private static Class<?> boxed(Class<?> primitive) {
        return primitive == int.class ? Integer.class : primitive == long.class ? Long.class
                : primitive == double.class ? Double.class : primitive == boolean.class ? Boolean.class : primitive;
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a decimal";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case START_ARRAY, END_ARRAY -> "an array";
            case START_OBJECT, END_OBJECT, FIELD_NAME -> "an object";
            case VALUE_NULL -> "null";
            default -> "something else";
        };
    }
}
