package dev.tooltune.grammar.automaton;

import dev.tooltune.grammar.schema.SchemaNode;
import java.util.List;

/**
 * What a whole output may be: plain text and/or tool-call blocks of the declared tools, or one JSON value.
 *
 * @param toolNames the callable tools' names as written inside the quotes of {@code "name"} (null for JSON output)
 * @param arguments the arguments schema of each callable tool, in the order of {@code toolNames}
 * @param textAllowed whether the answer may be (or start with) plain text ({@code tool_choice: auto})
 * @param maxCalls most calls in one answer, -1 for no limit
 * @param json the schema of a JSON answer ({@code response_format}), null for tool calls
 */
public record OutputSpec(ByteTrie toolNames, List<SchemaNode> arguments, boolean textAllowed, int maxCalls,
                         SchemaNode json) {

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
