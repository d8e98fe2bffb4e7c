package dev.tooltune.inference.api;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.ElementType.TYPE_USE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.inference.InferenceConfig;
import dev.tooltune.inference.api.ChatCompletionBody.ContentPart;
import dev.tooltune.inference.api.ChatCompletionBody.FunctionDefinition;
import dev.tooltune.inference.api.ChatCompletionBody.Message;
import dev.tooltune.inference.api.ChatCompletionBody.ResponseFormatBody;
import dev.tooltune.inference.api.ChatCompletionBody.Tool;
import dev.tooltune.inference.api.ChatCompletionBody.ToolChoiceBody;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.hibernate.validator.constraintvalidation.HibernateConstraintValidatorContext;

/**
 * The Bean Validation rules of a chat completion request that no standard constraint says: a value from a fixed set,
 * a string that must hold a JSON object, and the rules that span fields (what a message needs for its role, a
 * tool_choice that names a declared tool, the max-tokens limit from configuration).
 *
 * <p>A value the client sent never goes through message interpolation (a role of {@code "${7*7}"} came out as 49
 * when it did): a validator passes it as the violation's dynamic payload, and {@link OpenAiErrors} puts it where the
 * template says {@code %s}. {@link #MISSING} is the message of a required field that is absent:
 * {@link OpenAiErrors} words it as OpenAI does ({@code Missing required parameter: '...'}).
 */
public final class RequestRules {
    /** The message of a violation that means "this required field is absent". */
    public static final String MISSING = "is missing";

    private RequestRules() {}

    // ---- one value of a fixed set ---------------------------------------------------------------------------

    @Target({FIELD, TYPE_USE})
    @Retention(RUNTIME)
    @Constraint(validatedBy = OneOf.Check.class)
    public @interface OneOf {
        String[] value();

        String message() default "invalid value: %s. Supported values are: {supported}.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<OneOf, String> {
            private Set<String> allowed;
            private String supported;

            @Override
            public void initialize(OneOf annotation) {
                allowed = Set.of(annotation.value());
                supported = Arrays.stream(annotation.value()).map(v -> "'" + v + "'")
                        .collect(Collectors.joining(", "));
            }

            @Override
            public boolean isValid(String value, ConstraintValidatorContext context) {
                if (value == null || allowed.contains(value)) {
                    return true;
                }
                context.unwrap(HibernateConstraintValidatorContext.class)
                        .addMessageParameter("supported", supported).withDynamicPayload(List.of(quote(value)));
                return false;
            }
        }
    }

    // ---- a string that holds a JSON object ------------------------------------------------------------------

    @Target({FIELD, TYPE_USE})
    @Retention(RUNTIME)
    @Constraint(validatedBy = JsonObjectText.Check.class)
    public @interface JsonObjectText {
        String message() default "must be a JSON object encoded as a string.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<JsonObjectText, String> {
            @Override
            public boolean isValid(String value, ConstraintValidatorContext context) {
                if (value == null) {
                    return true;
                }
                try {
                    return ChatJson.MAPPER.readTree(value).isObject();
                } catch (JsonProcessingException e) {
                    return false;
                }
            }
        }
    }

    // ---- what a message needs for its role ------------------------------------------------------------------

    /** system, developer, user and tool messages need content; assistant ones content or tool_calls; tool ones their call's id. */
    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = RoleFields.Check.class)
    public @interface RoleFields {
        String message() default MISSING;

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<RoleFields, Message> {
            @Override
            public boolean isValid(Message message, ConstraintValidatorContext context) {
                if (message == null || message.role() == null) {
                    return true;
                }
                switch (message.role()) {
                    case "system", "developer", "user" -> {
                        return message.content() != null || violation(context, MISSING, "content");
                    }
                    case "assistant" -> {
                        return message.content() != null
                                || (message.toolCalls() != null && !message.toolCalls().isEmpty())
                                || violation(context, "an assistant message needs 'content' or 'tool_calls'.",
                                        "content");
                    }
                    case "tool" -> {
                        boolean valid = true;
                        if (message.content() == null) {
                            valid = violation(context, MISSING, "content");
                        }
                        if (message.toolCallId() == null) {
                            valid = violation(context, MISSING, "toolCallId");
                        }
                        return valid;
                    }
                    default -> {
                        return true; // @OneOf on the role reports it
                    }
                }
            }
        }
    }

    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = TextOfTextPart.Check.class)
    public @interface TextOfTextPart {
        String message() default MISSING;

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<TextOfTextPart, ContentPart> {
            @Override
            public boolean isValid(ContentPart part, ConstraintValidatorContext context) {
                return part == null || !"text".equals(part.type()) || part.text() != null
                        || violation(context, MISSING, "text");
            }
        }
    }

    // ---- a tool's parameters schema compiles ----------------------------------------------------------------

    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = ValidToolSchema.Check.class)
    public @interface ValidToolSchema {
        String message() default "invalid schema for function %s: %s";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<ValidToolSchema, FunctionDefinition> {
            @Inject
            ToolSchemas schemas;

            @Override
            public boolean isValid(FunctionDefinition function, ConstraintValidatorContext context) {
                if (function == null || function.parameters() == null) {
                    return true;
                }
                String problem = schemas.compile(function.parameters()).problem();
                if (problem == null) {
                    return true;
                }
                context.unwrap(HibernateConstraintValidatorContext.class)
                        .withDynamicPayload(List.of(quote(String.valueOf(function.name())), problem));
                context.disableDefaultConstraintViolation();
                context.buildConstraintViolationWithTemplate(context.getDefaultConstraintMessageTemplate())
                        .addPropertyNode("parameters").addConstraintViolation();
                return false;
            }
        }
    }

    // ---- rules of the whole request -------------------------------------------------------------------------

    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = DistinctToolNames.Check.class)
    public @interface DistinctToolNames {
        String message() default "tool name %s is declared twice.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<DistinctToolNames, ChatCompletionBody> {
            @Override
            public boolean isValid(ChatCompletionBody body, ConstraintValidatorContext context) {
                List<Tool> tools = body.tools();
                if (tools == null) {
                    return true;
                }
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < tools.size(); i++) {
                    Tool tool = tools.get(i);
                    String name = tool == null || tool.function() == null ? null : tool.function().name();
                    if (name != null && !seen.add(name)) {
                        context.unwrap(HibernateConstraintValidatorContext.class)
                                .withDynamicPayload(List.of(quote(name)));
                        context.disableDefaultConstraintViolation();
                        context.buildConstraintViolationWithTemplate(context.getDefaultConstraintMessageTemplate())
                                .addPropertyNode("tools").addPropertyNode("function").inIterable().atIndex(i)
                                .addPropertyNode("name").addConstraintViolation();
                        return false;
                    }
                }
                return true;
            }
        }
    }

    /** A string tool_choice is one of the modes; an object one is {@code {"type": "function", "function": {...}}}. */
    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = ToolChoiceShape.Check.class)
    public @interface ToolChoiceShape {
        String message() default "'tool_choice' must be 'none', 'auto', 'required' or \\{\"type\": \"function\", "
                + "\"function\": \\{\"name\": ...\\}\\}.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<ToolChoiceShape, ToolChoiceBody> {
            @Override
            public boolean isValid(ToolChoiceBody choice, ConstraintValidatorContext context) {
                if (choice == null || choice.mode() != null
                        || ("function".equals(choice.type()) && choice.function() != null)) {
                    return true;
                }
                return false;
            }
        }
    }

    /** A tool_choice other than none needs tools, and a named function must be one of them. */
    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = ConsistentToolChoice.Check.class)
    public @interface ConsistentToolChoice {
        String message() default "'tool_choice' is only allowed when 'tools' are specified.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<ConsistentToolChoice, ChatCompletionBody> {
            @Override
            public boolean isValid(ChatCompletionBody body, ConstraintValidatorContext context) {
                ToolChoiceBody choice = body.toolChoice();
                if (choice == null || "none".equals(choice.mode())) {
                    return true;
                }
                if (body.tools() == null || body.tools().isEmpty()) {
                    return violation(context, context.getDefaultConstraintMessageTemplate(), "toolChoice");
                }
                if (choice.mode() == null && choice.function() != null && choice.function().name() != null
                        && body.tools().stream().noneMatch(t -> t != null && t.function() != null
                                && choice.function().name().equals(t.function().name()))) {
                    context.unwrap(HibernateConstraintValidatorContext.class)
                            .withDynamicPayload(List.of(quote(choice.function().name())));
                    return violation(context, "no function named %s was specified in the 'tools' parameter.",
                            "toolChoice");
                }
                return true;
            }
        }
    }

    /** max_completion_tokens (or the older max_tokens when it is absent) within the configured limit. */
    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = MaxTokensWithinLimit.Check.class)
    public @interface MaxTokensWithinLimit {
        String message() default "must be between 1 and {limit}, got {got}.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<MaxTokensWithinLimit, ChatCompletionBody> {
            /** Looked up when used: the validator factory creates its validators before configuration mappings exist. */
            @Inject
            Provider<InferenceConfig> config;

            @Override
            public boolean isValid(ChatCompletionBody body, ConstraintValidatorContext context) {
                boolean completion = body.maxCompletionTokens() != null;
                Integer value = completion ? body.maxCompletionTokens() : body.maxTokens();
                int limit = config.get().serving().maxTokensLimit();
                if (value == null || (value >= 1 && value <= limit)) {
                    return true;
                }
                context.unwrap(HibernateConstraintValidatorContext.class)
                        .addMessageParameter("limit", limit).addMessageParameter("got", value);
                context.disableDefaultConstraintViolation();
                context.buildConstraintViolationWithTemplate(context.getDefaultConstraintMessageTemplate())
                        .addPropertyNode(completion ? "maxCompletionTokens" : "maxTokens").addConstraintViolation();
                return false;
            }
        }
    }

    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = StreamOptionsNeedStream.Check.class)
    public @interface StreamOptionsNeedStream {
        String message() default "stream_options is only allowed when stream is true.";

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<StreamOptionsNeedStream, ChatCompletionBody> {
            @Override
            public boolean isValid(ChatCompletionBody body, ConstraintValidatorContext context) {
                if (body.streamOptions() == null || Boolean.TRUE.equals(body.stream())) {
                    return true;
                }
                return violation(context, context.getDefaultConstraintMessageTemplate(), "streamOptions");
            }
        }
    }

    /** response_format of type json_schema needs its json_schema. */
    @Target(TYPE)
    @Retention(RUNTIME)
    @Constraint(validatedBy = SchemaForJsonSchema.Check.class)
    public @interface SchemaForJsonSchema {
        String message() default MISSING;

        Class<?>[] groups() default {};

        Class<? extends Payload>[] payload() default {};

        final class Check implements ConstraintValidator<SchemaForJsonSchema, ResponseFormatBody> {
            @Override
            public boolean isValid(ResponseFormatBody format, ConstraintValidatorContext context) {
                return format == null || !"json_schema".equals(format.type()) || format.jsonSchema() != null
                        || violation(context, MISSING, "jsonSchema");
            }
        }
    }

    /** Reports {@code message} (a fixed template, never one holding client data) at {@code property}; false. */
    private static boolean violation(ConstraintValidatorContext context, String message, String property) {
        context.disableDefaultConstraintViolation();
        context.buildConstraintViolationWithTemplate(message).addPropertyNode(property).addConstraintViolation();
        return false;
    }

    /** A client's value for a message, quoted and cut to 80 characters. */
    static String quote(String value) {
        return "'" + (value.length() <= 80 ? value : value.substring(0, 77) + "...") + "'";
    }
}
