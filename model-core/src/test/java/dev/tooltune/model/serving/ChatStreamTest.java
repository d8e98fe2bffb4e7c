package dev.tooltune.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The output stream on real tokens of the Gemma 3 tokenizer, fed one by one without a model: what it streams adds up
 * to what the parser returns.
 */
class ChatStreamTest {
    private static GemmaTokenizer tokenizer;

    @BeforeAll
    static void load() {
        // A private instance: the process-wide loadDefault() one is closed by other tests' try-with-resources.
        tokenizer = GemmaTokenizer.load(GemmaTokenizer.locate());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** Everything the listener heard, in order. */
    private static final class Recorder implements ChatStreamListener {
        final List<String> events = new ArrayList<>();
        final StringBuilder content = new StringBuilder();
        final List<String> names = new ArrayList<>();
        final List<String> ids = new ArrayList<>();
        final List<StringBuilder> arguments = new ArrayList<>();
        final List<Integer> fragments = new ArrayList<>();

        @Override
        public void onContentDelta(String text) {
            events.add("content " + text);
            content.append(text);
        }

        @Override
        public void onToolCallStart(int index, String callId, String name) {
            events.add("start " + index + " " + name);
            assertEquals(names.size(), index, "calls start in order");
            names.add(name);
            ids.add(callId);
            arguments.add(new StringBuilder());
            fragments.add(0);
        }

        @Override
        public void onToolCallArgumentsDelta(int index, String fragment) {
            events.add("arguments " + index + " " + fragment);
            assertFalse(fragment.isEmpty());
            arguments.get(index).append(fragment);
            fragments.set(index, fragments.get(index) + 1);
        }
    }

    private static Recorder stream(String output, List<String> stops, ParsedAssistantMessage[] parsed) {
        Recorder recorder = new Recorder();
        ChatStream stream = new ChatStream(tokenizer, stops, recorder, "seed");
        for (int token : tokenizer.encode(output)) {
            if (!stream.onToken(token)) {
                break;
            }
        }
        parsed[0] = new ToolCallParser().parse(stream.finish(), "seed");
        return recorder;
    }

    @Test
    void aCallIsStreamedAsItsNameThenArgumentFragmentsThatAddUpToTheParsedArguments() {
        String output = "Let me check.\n\n```tool_call\n{\"name\": \"get_weather\", \"arguments\": "
                + "{\"city\":\"Paris \\u00e9\\n\\/x\",\"days\":3,\"temp\":2.50,\"tags\":[\"a\" ,true,null,-0],\"o\":{}}}\n```";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(output, List.of(), parsed);
        assertEquals(1, parsed[0].toolCalls().size(), parsed[0].toString());
        ToolCall call = parsed[0].toolCalls().get(0);
        assertEquals(List.of("get_weather"), recorder.names);
        assertEquals(call.function().arguments(), recorder.arguments.get(0).toString(),
                "streamed fragments equal the canonical arguments");
        assertTrue(recorder.fragments.get(0) >= 5, "arguments arrive as they are generated: " + recorder.events);
        assertEquals(parsed[0].content(), recorder.content.toString());
        assertFalse(recorder.content.toString().contains("`"), "fence text never reaches content: " + recorder.events);
        assertTrue(recorder.ids.get(0).startsWith("call_"));
        // the start comes before any argument, which come as soon as their tokens do (not all at the end)
        List<String> calls = recorder.events.stream().filter(e -> !e.startsWith("content")).toList();
        assertTrue(calls.get(0).startsWith("start 0"), recorder.events.toString());
    }

    @Test
    void severalCallsAndNonAsciiKeepTheirOrderAndText() {
        String output = "```tool_call\n{\"name\": \"a\", \"arguments\": {\"q\": \"Привет, мир 😀\"}}\n```\n"
                + "```tool_call\n{\"name\": \"b\", \"arguments\": {}}\n```";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(output, List.of(), parsed);
        assertEquals(List.of("a", "b"), recorder.names);
        for (int i = 0; i < 2; i++) {
            assertEquals(parsed[0].toolCalls().get(i).function().arguments(), recorder.arguments.get(i).toString());
        }
        assertEquals("", recorder.content.toString());
        assertEquals("", parsed[0].content());
    }

    @Test
    void textIsStreamedTrimmedAndCutAtAStopStringWhichNeverLeaks() {
        String output = "  Hello there,\n  world.  END and more";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(output, List.of("END"), parsed);
        assertEquals("Hello there,\n  world.", parsed[0].content());
        assertEquals(parsed[0].content(), recorder.content.toString());
        assertTrue(recorder.events.stream().filter(e -> e.startsWith("content")).count() >= 2, recorder.events.toString());
    }

    @Test
    void aBlockOutsideTheFrameStopsIncrementalStreamingWithoutLeakingFenceText() {
        String output = "Sure.\n```tool_call\n{\"arguments\": {\"x\": 1}, \"name\": \"late\"}\n```";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(output, List.of(), parsed);
        assertEquals(List.of(), recorder.names, "no start for a block that is not name-first");
        assertEquals("Sure.", recorder.content.toString());
        assertEquals(1, parsed[0].toolCalls().size(), "the final parse still finds the call");
    }

    @Test
    void aCallCutByTheTokenLimitStreamsOnlyWhatWasGenerated() {
        String output = "```tool_call\n{\"name\": \"a\", \"arguments\": {\"q\": \"unfinished";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(output, List.of(), parsed);
        assertEquals(List.of("a"), recorder.names);
        assertEquals("{\"q\": \"unfinished", recorder.arguments.get(0).toString());
        assertTrue(parsed[0].toolCalls().isEmpty());
    }

    @Test
    void multiByteCharactersSplitOverByteTokensArriveWhole() {
        String text = "Café ☕ costs 3€ — 日本語のテキスト 🙂 done";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(text, List.of(), parsed);
        assertEquals(text, recorder.content.toString());
        List<String> deltas = recorder.events.stream().filter(e -> e.startsWith("content ")).toList();
        for (String delta : deltas) {
            assertFalse(delta.contains("\uFFFD"), deltas.toString());
        }
        assertTrue(deltas.size() > 5, "streamed in pieces: " + deltas);
    }

    @Test
    void aFenceThatIsNotAToolCallIsReleasedAsText() {
        String text = "Use ```python\nprint(1)\n``` here";
        ParsedAssistantMessage[] parsed = new ParsedAssistantMessage[1];
        Recorder recorder = stream(text, List.of(), parsed);
        assertEquals(text, recorder.content.toString());
        assertEquals(List.of(), recorder.names);
    }
}
