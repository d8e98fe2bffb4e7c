package dev.tooltune.chat.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.CanonicalJson;
import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders OpenAI-style conversations (system, user, assistant with content and/or {@code tool_calls}, tool
 * results) plus {@code tools} into Gemma 3's turn format, following the tool-calling convention in
 * {@code docs/tool-calling-format.md}:
 *
 * <pre>
 * &lt;bos&gt;&lt;start_of_turn&gt;user
 * {system}\n\n{tools declaration}\n\n{user}&lt;end_of_turn&gt;
 * &lt;start_of_turn&gt;model
 * {content}\n\n```tool_call\n{"name": ..., "arguments": {...}}\n```&lt;end_of_turn&gt;
 * &lt;start_of_turn&gt;user
 * ```tool_response\n{"name": ..., "content": ...}\n```&lt;end_of_turn&gt;
 * </pre>
 *
 * Gemma 3 has no system role (system text opens the first user turn, as in Gemma's own template) and no tool
 * tokens (calls and results are fenced JSON blocks). Message text is trimmed, as Gemma's template does. Stateless
 * and thread-safe.
 */
public final class GemmaChatFormat {

    public static final String START_OF_TURN = GemmaTokenizer.START_OF_TURN;
    public static final String END_OF_TURN = GemmaTokenizer.END_OF_TURN;
    public static final String USER_HEADER = START_OF_TURN + "user\n";
    public static final String MODEL_HEADER = START_OF_TURN + "model\n";
    /** What a prompt ends with: the model's turn is open and generation writes its body. */
    public static final String GENERATION_PROMPT = MODEL_HEADER;

    private static final String PARAGRAPH = "\n\n";
    private static final int DECLARATION_CACHE_SIZE = 32;

    /**
     * Token ids of recent tools declarations: a dataset repeats a few tool sets thousands of times, and the
     * declaration is most of a short example's text. Keyed by tokenizer identity and text.
     */
    private final Map<DeclarationKey, int[]> declarationTokens = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<DeclarationKey, int[]> eldest) {
                    return size() > DECLARATION_CACHE_SIZE;
                }
            });

    private record DeclarationKey(GemmaTokenizer tokenizer, String text) {}

    public GemmaChatFormat() {}

    /** The whole conversation as Gemma sees it in training, every turn closed. */
    public String render(ChatExample example) {
        return concatenate(segments(example));
    }

    public String render(List<ChatMessage> messages, List<ToolDefinition> tools) {
        return render(new ChatExample(messages, tools, null));
    }

    /** The conversation so far, ending in {@code <start_of_turn>model\n} for the model to continue. */
    public String renderPrompt(List<ChatMessage> messages, List<ToolDefinition> tools) {
        return renderPrompt(messages, tools, null);
    }

    /** As {@link #renderPrompt(List, List)}; {@code parallelToolCalls == false} asks for at most one call. */
    public String renderPrompt(List<ChatMessage> messages, List<ToolDefinition> tools, Boolean parallelToolCalls) {
        return concatenate(promptSegments(messages, tools, parallelToolCalls));
    }

    /**
     * The body of an assistant turn as the model writes it, without the closing {@code <end_of_turn>}: its
     * content, then (after a blank line if there is content) one {@code ```tool_call} block per call.
     */
    public String renderAssistant(ChatMessage assistant) {
        return assistantBody(assistant, -1);
    }

    /** The declaration of {@code tools} placed in the first user turn; empty when there are none. */
    public String toolsDeclaration(List<ToolDefinition> tools, Boolean parallelToolCalls) {
        if (tools == null || tools.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        out.append("You can call these tools. Each line below is one tool: its name, what it does and the JSON Schema"
                + " of its arguments.\n");
        out.append(ToolCallSyntax.TOOLS_FENCE).append('\n');
        for (int i = 0; i < tools.size(); i++) {
            out.append(CanonicalJson.write(toolSchema(tools.get(i), i))).append('\n');
        }
        out.append(ToolCallSyntax.CLOSE_FENCE).append('\n');
        out.append("To call a tool, answer with a block like this, the arguments as a JSON object:\n");
        out.append(ToolCallSyntax.CALL_FENCE).append('\n')
                .append("{\"name\": \"tool_name\", \"arguments\": {\"argument\": \"value\"}}\n")
                .append(ToolCallSyntax.CLOSE_FENCE).append('\n');
        out.append(Boolean.FALSE.equals(parallelToolCalls)
                ? "Call at most one tool per answer."
                : "Write one block per call; to call several tools at once, write several blocks.");
        out.append(" Results come back in ").append(ToolCallSyntax.RESPONSE_FENCE)
                .append(" blocks. If no tool fits, answer in plain text.");
        return out.toString();
    }

    /** The training rendering, cut into pieces that each carry one loss weight. */
    public List<RenderedSegment> segments(ChatExample example) {
        return new Renderer(example.messages(), example.tools(), example.parallelToolCalls()).render(false);
    }

    /** The prompt rendering ({@link #renderPrompt}) as weighted pieces; all weights are 0. */
    public List<RenderedSegment> promptSegments(List<ChatMessage> messages, List<ToolDefinition> tools,
            Boolean parallelToolCalls) {
        return new Renderer(messages, tools, parallelToolCalls).render(true);
    }

    /** Token ids and per-token loss weights of the whole conversation, not truncated. */
    public TokenizedChat tokenize(ChatExample example, GemmaTokenizer tokenizer) {
        return tokenize(example, tokenizer, Integer.MAX_VALUE);
    }

    /**
     * Token ids and per-token loss weights of the whole conversation, cut after {@code maxLength} tokens. Each
     * segment is encoded on its own, so every token belongs to exactly one segment and the mask is exact; the
     * segment borders fall on a newline or a turn marker, which the tokenizer splits on anyway, so the ids equal
     * those of encoding {@link #render(ChatExample)} at once.
     */
    public TokenizedChat tokenize(ChatExample example, GemmaTokenizer tokenizer, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        }
        List<int[]> pieces = new ArrayList<>();
        List<Float> weights = new ArrayList<>();
        int total = 0;
        for (RenderedSegment segment : segments(example)) {
            int[] ids = encode(segment, tokenizer);
            pieces.add(ids);
            weights.add(segment.weight());
            total += ids.length;
        }
        int kept = Math.min(total, maxLength);
        int[] tokenIds = new int[kept];
        float[] lossWeights = new float[kept];
        int position = 0;
        int truncatedTrained = 0;
        for (int p = 0; p < pieces.size(); p++) {
            float weight = weights.get(p);
            for (int id : pieces.get(p)) {
                if (position < kept) {
                    tokenIds[position] = id;
                    lossWeights[position] = weight;
                } else if (weight != 0f) {
                    truncatedTrained++;
                }
                position++;
            }
        }
        return new TokenizedChat(tokenIds, lossWeights, total, truncatedTrained);
    }

    /** Token ids of {@link #renderPrompt(List, List, Boolean)}, encoded segment by segment as in training. */
    public int[] tokenizePrompt(List<ChatMessage> messages, List<ToolDefinition> tools, Boolean parallelToolCalls,
            GemmaTokenizer tokenizer) {
        List<int[]> pieces = new ArrayList<>();
        int total = 0;
        for (RenderedSegment segment : promptSegments(messages, tools, parallelToolCalls)) {
            int[] ids = encode(segment, tokenizer);
            pieces.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int position = 0;
        for (int[] ids : pieces) {
            System.arraycopy(ids, 0, out, position, ids.length);
            position += ids.length;
        }
        return out;
    }

    public int[] tokenizePrompt(List<ChatMessage> messages, List<ToolDefinition> tools, GemmaTokenizer tokenizer) {
        return tokenizePrompt(messages, tools, null, tokenizer);
    }

    /** A segment's ids; the caller only reads them. */
    private int[] encode(RenderedSegment segment, GemmaTokenizer tokenizer) {
        if (!segment.toolsDeclaration()) {
            return tokenizer.encode(segment.text());
        }
        DeclarationKey key = new DeclarationKey(tokenizer, segment.text());
        int[] ids = declarationTokens.get(key);
        if (ids == null) {
            ids = tokenizer.encode(segment.text());
            declarationTokens.put(key, ids);
        }
        return ids;
    }

    private static String concatenate(List<RenderedSegment> segments) {
        StringBuilder out = new StringBuilder();
        for (RenderedSegment segment : segments) {
            out.append(segment.text());
        }
        return out.toString();
    }

    private static ObjectNode toolSchema(ToolDefinition tool, int index) {
        if (tool == null || tool.function() == null || tool.function().name() == null
                || tool.function().name().isBlank()) {
            throw new ChatFormatException("tools[" + index + "].function.name is missing");
        }
        ObjectNode schema = JsonNodeFactory.instance.objectNode();
        schema.put("name", tool.function().name());
        if (tool.function().description() != null) {
            schema.put("description", tool.function().description().strip());
        }
        JsonNode parameters = tool.function().parameters();
        schema.set("parameters", parameters != null && !parameters.isNull()
                ? parameters
                : JsonNodeFactory.instance.objectNode().put("type", "object"));
        return schema;
    }

    private static String assistantBody(ChatMessage assistant, int messageIndex) {
        StringBuilder body = new StringBuilder(text(assistant.content()));
        if (assistant.hasToolCalls()) {
            List<ToolCall> calls = assistant.toolCalls();
            for (int c = 0; c < calls.size(); c++) {
                if (!body.isEmpty()) {
                    body.append(c == 0 ? PARAGRAPH : "\n");
                }
                body.append(callBlock(calls.get(c), where(messageIndex) + ".tool_calls[" + c + "]"));
            }
        }
        return body.toString();
    }

    private static String callBlock(ToolCall call, String where) {
        if (call == null || call.function() == null || call.function().name() == null
                || call.function().name().isBlank()) {
            throw new ChatFormatException(where + ".function.name is missing");
        }
        ObjectNode arguments;
        try {
            arguments = CanonicalJson.parseArguments(call.function().arguments());
        } catch (IllegalArgumentException e) {
            throw new ChatFormatException(where + ".function.arguments " + e.getMessage(), e);
        }
        return ToolCallSyntax.callBlock(call.function().name(), arguments);
    }

    private static String where(int messageIndex) {
        return messageIndex >= 0 ? "messages[" + messageIndex + "]" : "message";
    }

    private static String text(String content) {
        return content == null ? "" : content.strip();
    }

    /** One pass over a conversation, emitting segments. */
    private final class Renderer {
        private final List<ChatMessage> messages;
        private final List<ToolDefinition> tools;
        private final Boolean parallelToolCalls;
        private final List<RenderedSegment> out = new ArrayList<>();
        private final Map<String, String> toolNamesByCallId = new HashMap<>();
        /** System text and tools declaration, written at the start of the first user turn. */
        private String systemText;
        private String declaration;
        private boolean prefixPending;
        /** The open user turn's text not yet emitted, or null when no user turn is open. */
        private StringBuilder userTurn;
        private boolean userTurnHasText;
        private boolean lastPartWasToolResponse;

        Renderer(List<ChatMessage> messages, List<ToolDefinition> tools, Boolean parallelToolCalls) {
            this.messages = messages == null ? List.of() : messages;
            this.tools = tools == null ? List.of() : tools;
            this.parallelToolCalls = parallelToolCalls;
        }

        List<RenderedSegment> render(boolean generationPrompt) {
            emit(GemmaTokenizer.BOS, 0f, -1);
            int first = 0;
            List<String> system = new ArrayList<>();
            while (first < messages.size() && messages.get(first) != null
                    && ChatMessage.SYSTEM.equals(messages.get(first).role())) {
                String text = text(messages.get(first).content());
                if (!text.isEmpty()) {
                    system.add(text);
                }
                first++;
            }
            systemText = system.isEmpty() ? null : String.join(PARAGRAPH, system);
            declaration = toolsDeclaration(tools, parallelToolCalls);
            declaration = declaration.isEmpty() ? null : declaration;
            prefixPending = systemText != null || declaration != null;

            for (int i = first; i < messages.size(); i++) {
                ChatMessage message = messages.get(i);
                if (message == null) {
                    throw new ChatFormatException("messages[" + i + "] is null");
                }
                String role = message.role();
                if (ChatMessage.ASSISTANT.equals(role)) {
                    assistant(message, i);
                } else if (ChatMessage.USER.equals(role) || ChatMessage.SYSTEM.equals(role)) {
                    userPart(text(message.content()), false);
                } else if (ChatMessage.TOOL.equals(role)) {
                    userPart(toolResponse(message), true);
                } else {
                    throw new ChatFormatException("messages[" + i + "].role is " + (role == null ? "missing"
                            : "\"" + role + "\"") + "; expected system, user, assistant or tool");
                }
            }
            if (prefixPending) {
                openUserTurn();
            }
            closeUserTurn();
            if (generationPrompt) {
                emit(MODEL_HEADER, 0f, -1);
            }
            return List.copyOf(out);
        }

        private void assistant(ChatMessage message, int index) {
            if (prefixPending) {
                openUserTurn();
            }
            closeUserTurn();
            float weight = 1f;
            if (message.weight() != null) {
                double value = message.weight();
                if (!(value >= 0) || Double.isInfinite(value)) {
                    throw new ChatFormatException("messages[" + index + "].weight must be 0 or positive, got " + value);
                }
                weight = (float) value;
            }
            if (message.hasToolCalls()) {
                for (ToolCall call : message.toolCalls()) {
                    if (call != null && call.id() != null && call.function() != null) {
                        toolNamesByCallId.put(call.id(), call.function().name());
                    }
                }
            }
            emit(MODEL_HEADER, 0f, -1);
            emit(assistantBody(message, index) + END_OF_TURN, weight, index);
            emit("\n", 0f, -1);
        }

        private String toolResponse(ChatMessage message) {
            ObjectNode response = JsonNodeFactory.instance.objectNode();
            String name = message.toolCallId() != null ? toolNamesByCallId.get(message.toolCallId()) : null;
            if (name == null) {
                name = message.name();
            }
            if (name != null) {
                response.put("name", name);
            }
            response.set("content", contentAsJson(message.content()));
            return ToolCallSyntax.RESPONSE_FENCE + "\n" + CanonicalJson.write(response) + "\n"
                    + ToolCallSyntax.CLOSE_FENCE;
        }

        /** A result that is a JSON object or array is embedded as JSON; anything else as a JSON string. */
        private static JsonNode contentAsJson(String content) {
            String trimmed = text(content);
            if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
                try {
                    JsonNode parsed = ChatJson.MAPPER.readTree(trimmed);
                    if (parsed != null && (parsed.isObject() || parsed.isArray())) {
                        return parsed;
                    }
                } catch (JsonProcessingException notJson) {
                    // Falls through: kept as text.
                }
            }
            return JsonNodeFactory.instance.textNode(trimmed);
        }

        private void userPart(String part, boolean toolResponse) {
            openUserTurn();
            if (part.isEmpty()) {
                return;
            }
            if (userTurnHasText) {
                // Consecutive results are one list of blocks; anything else is a new paragraph.
                userTurn.append(toolResponse && lastPartWasToolResponse ? "\n" : PARAGRAPH);
            }
            userTurn.append(part);
            userTurnHasText = true;
            lastPartWasToolResponse = toolResponse;
        }

        /**
         * Opens a user turn unless one is open. The first carries the system text and the tools declaration; the
         * declaration is a segment of its own (for reuse), bordered by blank lines, which the tokenizer splits on.
         */
        private void openUserTurn() {
            if (userTurn != null) {
                return;
            }
            userTurn = new StringBuilder(USER_HEADER);
            userTurnHasText = false;
            lastPartWasToolResponse = false;
            if (prefixPending) {
                prefixPending = false;
                if (systemText != null) {
                    userTurn.append(systemText);
                    userTurnHasText = true;
                }
                if (declaration != null) {
                    if (userTurnHasText) {
                        userTurn.append(PARAGRAPH);
                    }
                    emit(userTurn.toString(), 0f, -1);
                    out.add(new RenderedSegment(declaration, 0f, -1, true));
                    userTurn = new StringBuilder();
                    userTurnHasText = true;
                }
            }
        }

        private void closeUserTurn() {
            if (userTurn != null) {
                emit(userTurn.append(END_OF_TURN).append('\n').toString(), 0f, -1);
                userTurn = null;
            }
        }

        private void emit(String text, float weight, int messageIndex) {
            out.add(new RenderedSegment(text, weight, messageIndex));
        }
    }
}
