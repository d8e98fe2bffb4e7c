package dev.tooltune.inference.api;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.inference.api.RequestRules.ConsistentToolChoice;
import dev.tooltune.inference.api.RequestRules.DistinctToolNames;
import dev.tooltune.inference.api.RequestRules.JsonObjectText;
import dev.tooltune.inference.api.RequestRules.MaxTokensWithinLimit;
import dev.tooltune.inference.api.RequestRules.OneOf;
import dev.tooltune.inference.api.RequestRules.RoleFields;
import dev.tooltune.inference.api.RequestRules.SchemaForJsonSchema;
import dev.tooltune.inference.api.RequestRules.StreamOptionsNeedStream;
import dev.tooltune.inference.api.RequestRules.TextOfTextPart;
import dev.tooltune.inference.api.RequestRules.ToolChoiceShape;
import dev.tooltune.inference.api.RequestRules.ValidToolSchema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.io.IOException;
import java.util.List;

/**
 * The body of {@code POST /v1/chat/completions} as OpenAI clients send it, bound by Jackson (see
 * {@link ChatCompletionReader} for the strict reading: no coercion between JSON types, no duplicate keys) and checked
 * by Bean Validation. Unknown fields are ignored, as OpenAI does, and null means "not given" wherever OpenAI allows
 * null. Field and type problems come out in OpenAI's error shape through {@link OpenAiErrors}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@ConsistentToolChoice
@DistinctToolNames
@MaxTokensWithinLimit
@StreamOptionsNeedStream
public record ChatCompletionBody(
        @NotNull String model,
        @NotNull @Size(min = 1, message = "empty array. Expected an array with minimum length 1, but got an empty "
                + "array instead.") List<@NotNull @Valid Message> messages,
        List<@NotNull @Valid Tool> tools,
        @Valid ToolChoiceBody toolChoice,
        Boolean parallelToolCalls,
        @DecimalMin(value = "0", message = "decimal below minimum value. Expected a value >= {value}, but got "
                + "${validatedValue} instead.")
        @DecimalMax(value = "2", message = "decimal above maximum value. Expected a value <= {value}, but got "
                + "${validatedValue} instead.") Double temperature,
        @DecimalMin(value = "0", inclusive = false, message = "top_p must be greater than {value}, but got "
                + "${validatedValue}.")
        @DecimalMax(value = "1", message = "decimal above maximum value. Expected a value <= {value}, but got "
                + "${validatedValue} instead.") Double topP,
        Integer maxCompletionTokens,
        Integer maxTokens,
        @Min(value = 1, message = "only n=1 is supported, got ${validatedValue}.")
        @Max(value = 1, message = "only n=1 is supported, got ${validatedValue}.") Integer n,
        @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        @Size(max = 4, message = "'stop' must be a string or an array of at most {max} strings.")
        List<@NotNull @NotEmpty(message = "stop sequences must not be empty.") String> stop,
        Long seed,
        Boolean stream,
        @Valid StreamOptions streamOptions,
        @Valid ResponseFormatBody responseFormat) {

    /** One message; which fields it needs depends on its role (see {@link RoleFields}). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @RoleFields
    public record Message(
            @NotNull @OneOf({"system", "developer", "user", "assistant", "tool"}) String role,
            @Valid Content content,
            String name,
            List<@NotNull @Valid ToolCallBody> toolCalls,
            String toolCallId) {}

    /** A message's content: a string, or an array of text parts (this model reads neither images nor audio). */
    @JsonDeserialize(using = Content.Reader.class)
    public record Content(String text, List<@NotNull @Valid ContentPart> parts) {

        /** The text the model reads: the string, or the parts' texts joined. */
        public String joined() {
            if (text != null) {
                return text;
            }
            StringBuilder joined = new StringBuilder();
            for (ContentPart part : parts) {
                joined.append(part.text() == null ? "" : part.text());
            }
            return joined.toString();
        }

        static final class Reader extends JsonDeserializer<Content> {
            @Override
            public Content deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    return new Content(p.getText(), null);
                }
                if (p.currentToken() == JsonToken.START_ARRAY) {
                    List<ContentPart> parts = ctxt.readValue(p, ctxt.getTypeFactory()
                            .constructCollectionType(List.class, ContentPart.class));
                    return new Content(null, parts);
                }
                return (Content) ctxt.handleUnexpectedToken(Content.class, p);
            }
        }
    }

    /** A text part needs its text (checked by {@link TextOfTextPart}, so that an image part is told its type). */
    @TextOfTextPart
    public record ContentPart(
            @NotNull @OneOf(value = {"text"}, message = "only text content parts (\\{\"type\": \"text\", \"text\": "
                    + "...\\}) are supported; got type %s.") String type,
            String text) {}

    public record ToolCallBody(
            @NotNull String id,
            @OneOf({"function"}) String type,
            @NotNull @Valid CalledFunction function) {}

    public record CalledFunction(@NotNull String name, @NotNull @JsonObjectText String arguments) {}

    public record Tool(@NotNull @OneOf({"function"}) String type, @NotNull @Valid FunctionDefinition function) {}

    /** {@code parameters}: a JSON Schema object; absent or null means {@code {"type": "object"}}. */
    @ValidToolSchema
    public record FunctionDefinition(
            @NotNull @Pattern(regexp = "[a-zA-Z0-9_-]{1,64}", message = "must be 1 to 64 letters, digits, underscores or dashes.") String name,
            String description,
            ObjectNode parameters,
            Boolean strict) {}

    /** OpenAI's tool_choice: a string ({@code mode}) or {@code {"type": "function", "function": {"name": ...}}}. */
    @JsonDeserialize(using = ToolChoiceBody.Reader.class)
    @ToolChoiceShape
    public record ToolChoiceBody(
            @OneOf({"none", "auto", "required"}) String mode,
            String type,
            @Valid NamedFunction function) {

        record FunctionObject(String type, NamedFunction function) {}

        static final class Reader extends JsonDeserializer<ToolChoiceBody> {
            @Override
            public ToolChoiceBody deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    return new ToolChoiceBody(p.getText(), null, null);
                }
                if (p.currentToken() == JsonToken.START_OBJECT) {
                    FunctionObject object = ctxt.readValue(p, FunctionObject.class);
                    return new ToolChoiceBody(null, object.type(), object.function());
                }
                return (ToolChoiceBody) ctxt.handleUnexpectedToken(ToolChoiceBody.class, p);
            }
        }
    }

    public record NamedFunction(@NotNull String name) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record StreamOptions(Boolean includeUsage) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @SchemaForJsonSchema
    public record ResponseFormatBody(
            @NotNull @OneOf({"text", "json_object", "json_schema"}) String type,
            @Valid JsonSchemaSpec jsonSchema) {}

    public record JsonSchemaSpec(@NotNull String name, String description, ObjectNode schema, Boolean strict) {}
}
