package dev.tooltune.grammar.automaton;

import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.nio.charset.StandardCharsets;

/**
 * Plain text of an {@code auto} answer, on top of the output frame: any bytes of text tokens, until the text ends
 * with the call fence, which finishes this frame (the calls follow below it). Shared by all grammars.
 *
 * @param fence how much of the call fence the text currently ends with (KMP)
 * @param wroteText whether the text has a character other than whitespace (an empty answer may not end)
 */
public record TextFrame(int fence, boolean wroteText) implements Frame {
    private static final byte[] CALL_FENCE = ToolCallSyntax.CALL_FENCE.getBytes(StandardCharsets.UTF_8);
    private static final int[][] FENCE_DFA = fenceAutomaton();

    @Override
    public State feed(State self, int b) {
        int matched = FENCE_DFA[fence][b];
        if (matched == CALL_FENCE.length) {
            return self.rest();
        }
        boolean text = wroteText || !(b == ' ' || b == '\n' || b == '\t' || b == '\r');
        return matched == fence && text == wroteText ? self : self.replaceTop(new TextFrame(matched, text));
    }

    @Override
    public boolean canEnd(State self) {
        return wroteText;
    }

    /** To end the answer as text: nothing once it has a visible character, else one. */
    @Override
    public int shortestFinish() {
        return wroteText ? 0 : 1;
    }

    @Override
    public Frame localKey() {
        return wroteText ? new TextFrame(fence, false) : this;
    }

    @Override
    public boolean sharedLocal() {
        return true;
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
}
