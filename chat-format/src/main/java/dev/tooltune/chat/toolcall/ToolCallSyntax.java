package dev.tooltune.chat.toolcall;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * The fenced blocks of ToolTune's Gemma 3 tool-calling convention (docs/tool-calling-format.md). The formatter
 * writes them and the parser reads them, both from these definitions.
 */
public final class ToolCallSyntax {

    /** Opens the block declaring the tools, one JSON object per line, in the first user turn. */
    public static final String TOOLS_FENCE = "```tools";
    /** Opens a call the model makes: {@code {"name": ..., "arguments": {...}}}. */
    public static final String CALL_FENCE = "```tool_call";
    /** Opens a result handed back to the model: {@code {"name": ..., "content": ...}}. */
    public static final String RESPONSE_FENCE = "```tool_response";
    public static final String CLOSE_FENCE = "```";

    private ToolCallSyntax() {}

    /** One call as the model writes it: the fence, the JSON object on one line, the closing fence. */
    public static String callBlock(String name, JsonNode arguments) {
        return CALL_FENCE + "\n{\"name\": " + CanonicalJson.write(TextNode.valueOf(name))
                + ", \"arguments\": " + CanonicalJson.write(arguments) + "}\n" + CLOSE_FENCE;
    }
}
