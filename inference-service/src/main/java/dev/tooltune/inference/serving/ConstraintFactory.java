package dev.tooltune.inference.serving;

import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.inference.api.ResponseFormat;
import dev.tooltune.inference.api.ToolChoice;
import java.util.List;

/**
 * Makes the per-request {@link TokenConstraint} that keeps generation inside what the request allows: tool calls
 * that parse and match their schemas (tools with tool_choice auto, required or a named function;
 * parallel_tool_calls false = one call), or JSON for response_format. The implementation comes from module
 * {@code tool-grammar} ({@link ToolGrammarConstraints}); output is checked after generation too
 * ({@link ToolCallChecker}).
 */
public interface ConstraintFactory {

    /** The constraint for a request with tools active, or null for none. */
    TokenConstraint forTools(List<ToolDefinition> tools, ToolChoice choice, boolean parallelToolCalls,
            GemmaTokenizer tokenizer);

    /**
     * Whether the constraint enforces all of {@code tool}'s schema token by token, so that a call to it that is
     * generated to its end is valid and can be streamed before the post-generation check ({@link ToolCallChecker}).
     * False when some keyword ({@code pattern}, {@code format}, ...) is only checked afterwards.
     */
    boolean enforcesWholeSchema(ToolDefinition tool);

    /** The constraint for a JSON response_format, or null for none. */
    TokenConstraint forResponseFormat(ResponseFormat format, GemmaTokenizer tokenizer);
}
