package dev.tooltune.chat.toolcall;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns generated text back into OpenAI {@code tool_calls} and/or plain content, per the convention in
 * {@code docs/tool-calling-format.md}. Tolerant of what models do: stray text around blocks, a missing closing
 * fence at the end of generation, leftover turn markers. It never throws; a block whose JSON is broken or is not a
 * {@code {"name": ..., "arguments": {...}}} object is reported in {@link ParsedAssistantMessage#invalidToolCalls()}.
 *
 * <p>Call ids are {@code call_} plus 24 hex digits of a hash of the seed, the call's position, name and canonical
 * arguments: the same output gets the same ids; pass a per-request seed so that ids differ across turns.
 * Stateless and thread-safe.
 */
public final class ToolCallParser {

    private static final String[] END_MARKERS = {GemmaTokenizer.END_OF_TURN, GemmaTokenizer.EOS};
    private static final String[] STRAY_MARKERS = {
        GemmaTokenizer.START_OF_TURN + "model\n", GemmaTokenizer.START_OF_TURN, GemmaTokenizer.BOS, GemmaTokenizer.PAD
    };

    public ToolCallParser() {}

    public ParsedAssistantMessage parse(String generated) {
        return parse(generated, "");
    }

    public ParsedAssistantMessage parse(String generated, String idSeed) {
        String text = generated == null ? "" : generated;
        try {
            return parseBlocks(stripMarkers(text), idSeed == null ? "" : idSeed);
        } catch (RuntimeException | StackOverflowError unexpected) {
            // The contract is to never throw on model output; whatever slipped through is plain text.
            return new ParsedAssistantMessage(text.strip(), List.of(),
                    List.of(new InvalidToolCall(0, text, "unparseable output: " + unexpected)), false);
        }
    }

    private static String stripMarkers(String text) {
        int end = text.length();
        for (String marker : END_MARKERS) {
            int at = text.indexOf(marker);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        String body = text.substring(0, end);
        for (String marker : STRAY_MARKERS) {
            body = body.replace(marker, "");
        }
        return body;
    }

    private static ParsedAssistantMessage parseBlocks(String text, String idSeed) {
        List<String> contentParts = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        List<InvalidToolCall> invalid = new ArrayList<>();
        boolean unterminated = false;
        int position = 0;
        int blockIndex = 0;
        while (position < text.length()) {
            int fence = text.indexOf(ToolCallSyntax.CALL_FENCE, position);
            if (fence < 0) {
                contentParts.add(text.substring(position));
                break;
            }
            contentParts.add(text.substring(position, fence));
            int bodyStart = fence + ToolCallSyntax.CALL_FENCE.length();
            BlockResult block = readBlock(text, bodyStart);
            unterminated |= !block.closed;
            if (block.call != null) {
                calls.add(withId(block.call, calls.size(), idSeed));
            } else {
                invalid.add(new InvalidToolCall(blockIndex, text.substring(bodyStart, block.bodyEnd).strip(),
                        block.error));
            }
            blockIndex++;
            position = block.next;
        }
        StringBuilder content = new StringBuilder();
        for (String part : contentParts) {
            String stripped = part.strip();
            if (!stripped.isEmpty()) {
                if (!content.isEmpty()) {
                    content.append("\n\n");
                }
                content.append(stripped);
            }
        }
        return new ParsedAssistantMessage(content.toString(), calls, invalid, unterminated);
    }

    /** A block's outcome: a call or an error, where its body ended and where parsing continues. */
    private record BlockResult(ToolCall call, String error, int bodyEnd, int next, boolean closed) {}

    private static BlockResult readBlock(String text, int bodyStart) {
        int jsonStart = skipWhitespace(text, bodyStart);
        int closeFence = text.indexOf(ToolCallSyntax.CLOSE_FENCE, bodyStart);
        if (jsonStart >= text.length() || text.charAt(jsonStart) != '{') {
            return failed(text, bodyStart, closeFence,
                    jsonStart >= text.length() ? "the block is empty" : "the block does not start with a JSON object");
        }
        JsonNode node;
        int jsonEnd;
        try (JsonParser parser = ChatJson.MAPPER.getFactory().createParser(text.substring(jsonStart))) {
            node = ChatJson.MAPPER.readTree(parser);
            jsonEnd = jsonStart + (int) parser.currentLocation().getCharOffset();
        } catch (Exception e) {
            String reason = e instanceof JsonProcessingException json
                    ? json.getOriginalMessage() : String.valueOf(e.getMessage());
            return failed(text, bodyStart, closeFence, "invalid JSON: " + firstLine(reason));
        }
        // The JSON may itself contain ``` inside a string, so the closing fence is searched after it.
        int afterJson = skipWhitespace(text, jsonEnd);
        boolean closed = text.startsWith(ToolCallSyntax.CLOSE_FENCE, afterJson);
        // Generation cut off inside the closing fence leaves "`" or "``": the call itself is complete.
        boolean cutInFence = !closed && ToolCallSyntax.CLOSE_FENCE.startsWith(text.substring(afterJson));
        if (!closed && !cutInFence) {
            int laterFence = text.indexOf(ToolCallSyntax.CLOSE_FENCE, afterJson);
            return failed(text, bodyStart, laterFence, "unexpected text after the JSON object: "
                    + abbreviate(text.substring(afterJson, laterFence < 0 ? text.length() : laterFence)));
        }
        int next = closed ? afterJson + ToolCallSyntax.CLOSE_FENCE.length() : text.length();
        int bodyEnd = closed ? afterJson : text.length();
        String problem = callProblem(node);
        if (problem != null) {
            return new BlockResult(null, problem, bodyEnd, next, closed);
        }
        String name = node.get("name").asText();
        JsonNode arguments = node.get("arguments");
        ObjectNode argumentObject = arguments == null || arguments.isNull()
                ? ChatJson.MAPPER.createObjectNode()
                : arguments.isTextual() ? CanonicalJson.parseArguments(arguments.asText()) : (ObjectNode) arguments;
        ToolCall call = ToolCall.of(null, name, CanonicalJson.write(argumentObject));
        return new BlockResult(call, null, bodyEnd, next, closed);
    }

    /** Why a parsed JSON value is not a call, or null when it is one. */
    private static String callProblem(JsonNode node) {
        if (node == null || !node.isObject()) {
            return "the block's JSON is not an object";
        }
        JsonNode name = node.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            return "the call has no \"name\" string";
        }
        JsonNode arguments = node.get("arguments");
        if (arguments == null || arguments.isNull() || arguments.isObject()) {
            return null;
        }
        if (arguments.isTextual()) {
            try {
                CanonicalJson.parseArguments(arguments.asText());
                return null;
            } catch (IllegalArgumentException e) {
                return "\"arguments\" is a string that is " + e.getMessage();
            }
        }
        return "\"arguments\" is not a JSON object";
    }

    private static BlockResult failed(String text, int bodyStart, int closeFence, String reason) {
        if (closeFence < 0) {
            return new BlockResult(null, reason, text.length(), text.length(), false);
        }
        return new BlockResult(null, reason, closeFence, closeFence + ToolCallSyntax.CLOSE_FENCE.length(), true);
    }

    private static ToolCall withId(ToolCall call, int index, String idSeed) {
        String key = idSeed + '\u0000' + index + '\u0000' + call.function().name() + '\u0000'
                + call.function().arguments();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            String id = "call_" + HexFormat.of().formatHex(digest, 0, 12);
            return new ToolCall(id, ToolCall.FUNCTION, call.function());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static int skipWhitespace(String text, int from) {
        int i = from;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static String abbreviate(String text) {
        String stripped = text.strip();
        return stripped.length() <= 40 ? stripped : stripped.substring(0, 40) + "...";
    }
}
