package dev.tooltune.grammar.automaton;

import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.nio.charset.StandardCharsets;

/**
 * The bottom of every stack: the answer as a whole. With tools: optional plain text ({@code auto}), then call blocks
 * {@code ```tool_call\n{...}\n```} separated by a newline (docs/tool-calling-format.md). Text may not contain the call
 * fence other than to start a call, so the parser reads exactly the calls the grammar checked. For
 * {@code response_format}: one JSON value, nothing after it.
 *
 * @param fence in TEXT: how much of the call fence the text currently ends with; in FENCE: how much has been written
 * @param wroteText whether the text so far has a character other than whitespace
 * @param calls finished calls
 */
public record OutputFrame(OutputSpec spec, int phase, int fence, boolean wroteText, int calls) implements Frame {
    static final int TEXT = 0;
    static final int FENCE = 1;
    static final int CALL_NEWLINE = 2;
    static final int AFTER_CALL = 3;
    static final int JSON_START = 4;
    static final int JSON_DONE = 5;

    private static final byte[] CALL_FENCE = ToolCallSyntax.CALL_FENCE.getBytes(StandardCharsets.UTF_8);
    /** KMP automaton of the call fence: the matched length after reading a byte. */
    private static final int[][] FENCE_DFA = fenceAutomaton();

    /** The state where an answer of {@code spec} begins. */
    public static State initial(OutputSpec spec) {
        int phase = spec.json() != null ? JSON_START : spec.textAllowed() ? TEXT : FENCE;
        return State.of(new OutputFrame(spec, phase, 0, false, 0));
    }

    @Override
    public State feed(State self, int b) {
        switch (phase) {
            case TEXT: {
                int matched = FENCE_DFA[fence][b];
                if (matched == CALL_FENCE.length) {
                    return self.replaceTop(new OutputFrame(spec, CALL_NEWLINE, 0, wroteText, calls));
                }
                boolean text = wroteText || !(b == ' ' || b == '\n' || b == '\t' || b == '\r');
                OutputFrame next = new OutputFrame(spec, TEXT, matched, text, calls);
                return next.equals(this) ? self : self.replaceTop(next);
            }
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

    private boolean moreCallsAllowed() {
        return spec.maxCalls() < 0 || calls < spec.maxCalls();
    }

    @Override
    public boolean canEnd(State self) {
        return switch (phase) {
            case TEXT -> wroteText;
            case AFTER_CALL, JSON_DONE -> true;
            default -> false;
        };
    }

    /** Whether nothing may follow: the answer is complete. */
    public boolean finished() {
        return phase == JSON_DONE || phase == AFTER_CALL && !moreCallsAllowed();
    }

    private static int[][] fenceAutomaton() {
        int n = CALL_FENCE.length;
        int[][] dfa = new int[n][256];
        int restart = 0;
        dfa[0][CALL_FENCE[0] & 0xFF] = 1;
        for (int i = 1; i < n; i++) {
            for (int b = 0; b < 256; b++) {
                dfa[i][b] = dfa[restart][b];
            }
            dfa[i][CALL_FENCE[i] & 0xFF] = i + 1;
            restart = dfa[restart][CALL_FENCE[i] & 0xFF];
        }
        return dfa;
    }

    @Override
    public String toString() {
        return "Output[" + phase + " fence=" + fence + " calls=" + calls + "]";
    }
}
