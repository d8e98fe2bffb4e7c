package dev.tooltune.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming text without a model: real tokens of a text, fed one by one. */
class ChatStreamTest {
    static GemmaTokenizer tokenizer;

    @org.junit.jupiter.api.AfterAll
    static void close() {
        tokenizer.close();
    }

    @BeforeAll
    static void load() {
        // A private instance: the process-wide loadDefault() one is closed by other tests' try-with-resources.
        tokenizer = GemmaTokenizer.load(GemmaTokenizer.locate());
    }

    static ChatEngineTest.Recorder feed(String text, List<String> stops) {
        ChatEngineTest.Recorder recorder = new ChatEngineTest.Recorder();
        ChatStream stream = new ChatStream(tokenizer, stops, recorder, "seed");
        for (int token : tokenizer.encode(text)) {
            if (!stream.onToken(token)) {
                break;
            }
        }
        stream.finish();
        return recorder;
    }

    @Test
    void multiByteCharactersSplitOverByteTokensArriveWhole() {
        String text = "Café ☕ costs 3€ — 日本語のテキスト 🙂 done";
        ChatEngineTest.Recorder recorder = feed(text, List.of());
        assertEquals(text, recorder.content.toString());
        for (String delta : recorder.contentDeltas) {
            assertFalse(delta.contains("\uFFFD"), recorder.contentDeltas.toString());
        }
        assertTrue(recorder.contentDeltas.size() > 5, "streamed in pieces: " + recorder.contentDeltas);
    }

    @Test
    void aFenceThatIsNotAToolCallIsReleasedAsText() {
        String text = "Use ```python\nprint(1)\n``` here";
        ChatEngineTest.Recorder recorder = feed(text, List.of());
        assertEquals(text, recorder.content.toString());
        assertTrue(recorder.events.isEmpty());
    }

    @Test
    void twoToolCallsAreAnnouncedInOrderWithTheirArguments() {
        String text = "```tool_call\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n```\n```tool_call\n"
                + "{\"name\": \"b\", \"arguments\": {}}\n```";
        ChatEngineTest.Recorder recorder = feed(text, List.of());
        assertEquals(4, recorder.events.size(), recorder.events.toString());
        assertTrue(recorder.events.get(0).startsWith("start 0 ") && recorder.events.get(0).endsWith(" a"));
        assertEquals("args 0 {\"x\":1}", recorder.events.get(1).replace(": ", ":"));
        assertTrue(recorder.events.get(2).startsWith("start 1 ") && recorder.events.get(2).endsWith(" b"));
        assertFalse(recorder.content.toString().contains("`"), recorder.content.toString());
    }
}
