package dev.tooltune.grammar.automaton;

import dev.tooltune.chat.toolcall.ToolCallSyntax;
import dev.tooltune.grammar.schema.SchemaNode;
import java.nio.charset.StandardCharsets;

/**
 * The bottom of every stack: the answer as a whole. With tools: optional plain text ({@code auto}, a {@link TextFrame} on top), then call blocks
 * {@code ```tool_call\n{...}\n```} separated by a newline (docs/tool-calling-format.md). Text may not contain the call
 * fence other than to start a call, so the parser reads exactly the calls the grammar checked. For
 * {@code response_format}: one JSON value, nothing after it.
 *
 * @param fence in FENCE: how much of the call fence has been written
 * @param wroteText unused (kept false)
 * @param calls finished calls
 */
public record OutputFrame(OutputSpec spec, int phase, int fence, boolean wroteText, int calls) implements Frame {
    static final int FENCE = 1;
    static final int CALL_NEWLINE = 2;
    static final int AFTER_CALL = 3;
    static final int JSON_START = 4;
    static final int JSON_DONE = 5;

    private static final byte[] CALL_FENCE = ToolCallSyntax.CALL_FENCE.getBytes(StandardCharsets.UTF_8);

    /** The state where an answer of {@code spec} begins. */
    public static State initial(OutputSpec spec) {
        if (spec.json() != null) {
            return State.of(new OutputFrame(spec, JSON_START, 0, false, 0));
        }
        if (spec.textAllowed()) {
            return State.of(new OutputFrame(spec, CALL_NEWLINE, 0, false, 0)).push(new TextFrame(0, false));
        }
        return State.of(new OutputFrame(spec, FENCE, 0, false, 0));
    }

    @Override
    public State feed(State self, int b) {
        switch (phase) {
            case FENCE:
                if (CALL_FENCE[fence] != (byte) b) {
                    return null;
                }
                return self.replaceTop(new OutputFrame(spec, fence + 1 == CALL_FENCE.length ? CALL_NEWLINE : FENCE,
                        fence + 1 == CALL_FENCE.length ? 0 : fence + 1, wroteText, calls));
            case CALL_NEWLINE:
                if (b != '\n') {
                    return null;
                }
                return self.replaceTop(new OutputFrame(spec, AFTER_CALL, 0, wroteText, calls + 1)).push(CallFrame.open(spec));
            case AFTER_CALL:
                return b == '\n' && moreCallsAllowed() ? self.replaceTop(new OutputFrame(spec, FENCE, 0, wroteText, calls)) : null;
            case JSON_START:
                return Values.start(spec.json(), self.replaceTop(new OutputFrame(spec, JSON_DONE, 0, false, 0)), b);
            case JSON_DONE:
                return null;
            default:
                throw new IllegalStateException("phase " + phase);
        }
    }

    @Override
    public int shortestFinish() {
        return switch (phase) {
            case FENCE -> Shortest.sum(CALL_FENCE.length - fence + 1, CallFrame.shortestCall(spec));
            case CALL_NEWLINE -> Shortest.sum(1, CallFrame.shortestCall(spec));
            case JSON_START -> Shortest.value(spec.json(), SchemaNode.ANY_TYPE);
            case AFTER_CALL, JSON_DONE -> 0;
            default -> throw new IllegalStateException("phase " + phase);
        };
    }

    private boolean moreCallsAllowed() {
        return spec.maxCalls() < 0 || calls < spec.maxCalls();
    }

    @Override
    public boolean canEnd(State self) {
        return switch (phase) {
            case AFTER_CALL, JSON_DONE -> true;
            default -> false;
        };
    }

    /** Whether nothing may follow: the answer is complete. */
    public boolean finished() {
        return phase == JSON_DONE || phase == AFTER_CALL && !moreCallsAllowed();
    }

    @Override
    public String toString() {
        return "Output[" + phase + " fence=" + fence + " calls=" + calls + "]";
    }
}
