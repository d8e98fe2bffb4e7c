package dev.tooltune.inference.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.inference.InferenceConfig;
import dev.tooltune.inference.api.ChatCompletionBody.Message;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Reads a {@code POST /v1/chat/completions} body into a checked {@link ChatCompletionRequest}: Jackson binds it to
 * {@link ChatCompletionBody}, Bean Validation checks it, and whatever is wrong answers a 400 in OpenAI's shape
 * ({@link OpenAiErrors}).
 *
 * <p>Jackson reads strictly, as OpenAI does: no value changes its JSON type on the way in (no {@code "2"} for 2, no
 * 1.5 for 1, no 1 for true or for "1"), a key given twice and anything after the object are errors (read() checks the latter), not silently
 * resolved.
 */
@ApplicationScoped
public class ChatCompletionReader {
    private static final ObjectReader READER = strict().readerFor(ChatCompletionBody.class);

    @Inject
    Validator validator;

    @Inject
    InferenceConfig config;

    /** One compiled-schema cache for the tools of requests and for checking the calls made to them. */
    @Produces
    @Singleton
    static ToolSchemas toolSchemas() {
        return new ToolSchemas();
    }

    public ChatCompletionRequest read(byte[] body) {
        ChatCompletionBody bound;
        try (JsonParser parser = READER.createParser(body)) {
            try {
                bound = READER.readValue(parser);
                if (parser.nextToken() != null) {
                    throw ApiException.invalid(null, "The request body is not valid JSON (line "
                            + parser.currentLocation().getLineNr() + ", column "
                            + parser.currentLocation().getColumnNr() + "): there is more after the JSON object.");
                }
            } catch (JacksonException e) {
                throw OpenAiErrors.of(e, parser);
            }
        } catch (IOException e) {
            throw ApiException.invalid(null, "The request body could not be read: " + e.getMessage());
        }
        if (bound == null) {
            throw ApiException.invalid(null, "The request body must be a JSON object, but got null.");
        }
        Set<ConstraintViolation<ChatCompletionBody>> violations = validator.validate(bound);
        if (!violations.isEmpty()) {
            throw OpenAiErrors.of(violations);
        }
        return request(bound);
    }

    private ChatCompletionRequest request(ChatCompletionBody body) {
        List<ToolDefinition> tools = body.tools() == null ? List.of() : body.tools().stream()
                .map(tool -> ToolDefinition.function(tool.function().name(), tool.function().description(),
                        tool.function().parameters() != null ? tool.function().parameters()
                                : ChatJson.MAPPER.createObjectNode().put("type", "object")))
                .toList();
        ToolChoice toolChoice;
        if (body.toolChoice() == null) {
            toolChoice = tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO;
        } else if (body.toolChoice().mode() != null) {
            toolChoice = switch (body.toolChoice().mode()) {
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                default -> ToolChoice.NONE;
            };
        } else {
            toolChoice = new ToolChoice(ToolChoice.Mode.FUNCTION, body.toolChoice().function().name());
        }
        Integer maxTokens = body.maxCompletionTokens() != null ? body.maxCompletionTokens() : body.maxTokens();
        ResponseFormat format = ResponseFormat.TEXT;
        if (body.responseFormat() != null) {
            format = switch (body.responseFormat().type()) {
                case "json_object" -> new ResponseFormat(ResponseFormat.Type.JSON_OBJECT, null, null);
                case "json_schema" -> new ResponseFormat(ResponseFormat.Type.JSON_SCHEMA,
                        body.responseFormat().jsonSchema().name(), body.responseFormat().jsonSchema().schema());
                default -> ResponseFormat.TEXT;
            };
        }
        return new ChatCompletionRequest(body.model(), body.messages().stream().map(ChatCompletionReader::message)
                .toList(), tools, toolChoice, !Boolean.FALSE.equals(body.parallelToolCalls()),
                body.temperature() == null ? 1.0 : body.temperature(), body.topP() == null ? 1.0 : body.topP(),
                maxTokens == null ? config.serving().defaultMaxTokens() : maxTokens,
                body.stop() == null ? List.of() : List.copyOf(body.stop()), body.seed(),
                Boolean.TRUE.equals(body.stream()),
                body.streamOptions() != null && Boolean.TRUE.equals(body.streamOptions().includeUsage()), format);
    }

    private static ChatMessage message(Message message) {
        String content = message.content() == null ? null : message.content().joined();
        return switch (message.role()) {
            case "system", "developer" -> new ChatMessage(ChatMessage.SYSTEM, content, null, null, message.name(), null);
            case "user" -> new ChatMessage(ChatMessage.USER, content, null, null, message.name(), null);
            case "assistant" -> new ChatMessage(ChatMessage.ASSISTANT, content, message.toolCalls() == null ? List.of()
                    : message.toolCalls().stream().map(call -> ToolCall.of(call.id(), call.function().name(),
                            call.function().arguments())).toList(), null, message.name(), null);
            default -> new ChatMessage(ChatMessage.TOOL, content, null, message.toolCallId(), message.name(), null);
        };
    }

    /** ChatJson's mapper (unknown fields ignored), reading strictly: see the class comment. */
    @SuppressWarnings("deprecation") // MapperFeature on a built mapper: ChatJson's is not built by a builder
    private static ObjectMapper strict() {
        ObjectMapper mapper = ChatJson.MAPPER.copy();
        mapper.configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);
        mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        mapper.configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
        mapper.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
        fail(mapper, LogicalType.Textual, CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean);
        fail(mapper, LogicalType.Boolean, CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.String, CoercionInputShape.EmptyString);
        fail(mapper, LogicalType.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean,
                CoercionInputShape.String, CoercionInputShape.EmptyString);
        // An integer into a Double is the same JSON type (a number); the rest is not.
        fail(mapper, LogicalType.Float, CoercionInputShape.Boolean, CoercionInputShape.String,
                CoercionInputShape.EmptyString);
        return mapper;
    }

    private static void fail(ObjectMapper mapper, LogicalType type, CoercionInputShape... shapes) {
        for (CoercionInputShape shape : shapes) {
            mapper.coercionConfigFor(type).setCoercion(shape, CoercionAction.Fail);
        }
    }
}
