package dev.tooltune.model.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chat-level entry point over a tiny random model with Gemma 3's real 262,144-token vocabulary. */
class ChatEngineTest {
    static GemmaTokenizer tokenizer;
    static Gemma3Model model;
    static ServingEngine engine;
    static ChatEngine chat;
    static final List<ToolDefinition> TOOLS = List.of(SampleTools.GET_WEATHER, SampleTools.SEND_EMAIL,
            SampleTools.SET_REMINDER, SampleTools.CONVERT_CURRENCY, SampleTools.GET_DIRECTIONS);

    @BeforeAll
    static void build() {
        // A private instance: the process-wide loadDefault() one is closed by other tests' try-with-resources.
        tokenizer = GemmaTokenizer.load(GemmaTokenizer.locate());
        Gemma3Config.Builder b = TestModels.config().toBuilder();
        b.vocabSize = tokenizer.vocabSize();
        b.maxPositionEmbeddings = 4096;
        model = TestModels.model(b.build(), 5);
        engine = ServingEngine.start(model, ServingConfig.defaults().withMaxRunningSequences(4));
        chat = new ChatEngine(engine, tokenizer);
    }

    @AfterAll
    static void release() {
        engine.close();
        tokenizer.close();
        model.close();
    }

    /** Records what a listener is told, in order. */
    static final class Recorder implements ChatStreamListener {
        final StringBuilder content = new StringBuilder();
        final List<String> contentDeltas = new ArrayList<>();
        final List<String> events = new ArrayList<>();

        @Override
        public void onContentDelta(String text) {
            content.append(text);
            contentDeltas.add(text);
        }

        @Override
        public void onToolCallStart(int index, String callId, String functionName) {
            events.add("start " + index + " " + callId + " " + functionName);
        }

        @Override
        public void onToolCallArgumentsDelta(int index, String argumentsJsonFragment) {
            events.add("args " + index + " " + argumentsJsonFragment);
        }
    }

    static ChatRequest forced(String output, List<String> stop) {
        int[] tokens = tokenizer.encode(output);
        return new ChatRequest(List.of(ChatMessage.user("What is the weather in Paris?")), TOOLS, null,
                new Sampling(1.0, 1.0, 0, 1L), 200, stop, new ServingEngineTest.FixedSequence(tokens));
    }

    @Test
    void aConstrainedToolCallIsStreamedOnceCompleteAndParsed() throws Exception {
        String output = "Let me check.\n\n```tool_call\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n```";
        Recorder recorder = new Recorder();
        ChatResult result = chat.submit(forced(output, List.of()), recorder).result().get(60, TimeUnit.SECONDS);
        assertEquals(FinishReason.TOOL_CALLS, result.finishReason());
        assertEquals(1, result.toolCalls().size());
        assertEquals("get_weather", result.toolCalls().get(0).function().name());
        assertEquals("Let me check.", result.content());
        // the call starts once its name is complete, then its arguments stream in fragments that add up to the result's
        assertTrue(recorder.events.get(0).matches("start 0 call_\\w+ get_weather"), recorder.events.toString());
        List<String> fragments = recorder.events.subList(1, recorder.events.size());
        assertTrue(fragments.size() > 1 && fragments.stream().allMatch(e -> e.startsWith("args 0 ")), fragments.toString());
        assertEquals(result.toolCalls().get(0).function().arguments(),
                fragments.stream().map(e -> e.substring("args 0 ".length())).collect(Collectors.joining()));
        assertFalse(recorder.content.toString().contains("`"), recorder.contentDeltas.toString());
        assertTrue(recorder.content.toString().startsWith("Let me check."), recorder.content.toString());
        assertEquals(tokenizer.encode(output).length, result.completionTokens());
        assertTrue(result.promptTokens() > 100);
        assertTrue(result.timeToFirstTokenNanos() > 0);
    }

    @Test
    void aStopStringEndsTheOutputAndNoPieceOfItIsStreamed() throws Exception {
        Recorder recorder = new Recorder();
        ChatResult result = chat.submit(forced("The answer is 42 END and more text after", List.of("END")), recorder)
                .result().get(60, TimeUnit.SECONDS);
        assertEquals(FinishReason.STOP, result.finishReason());
        assertEquals("The answer is 42 ", result.rawText());
        // streamed content is the parsed answer (trimmed), the same text a non-streaming client gets
        assertEquals("The answer is 42", result.content());
        assertEquals(result.content(), recorder.content.toString());
        assertTrue(result.completionTokens() < tokenizer.encode("The answer is 42 END and more text after").length);
        for (String delta : recorder.contentDeltas) {
            assertFalse(delta.contains("E"), "a delta leaked a piece of the stop string: " + recorder.contentDeltas);
        }
    }

    @Test
    void theToolsBlockIsASharedPrefixThatTheCacheReuses() throws Exception {
        ChatEngine.Prompt prompt = chat.prompt(List.of(ChatMessage.user("hi")), TOOLS, null);
        assertTrue(prompt.sharedPrefixLength() > 100 && prompt.sharedPrefixLength() < prompt.tokens().length,
                prompt.sharedPrefixLength() + " of " + prompt.tokens().length);
        long hits = engine.stats().prefixHits();
        ChatRequest first = new ChatRequest(List.of(ChatMessage.user("Remind me at 5pm")), TOOLS, null, Sampling.greedy(), 5, List.of(), null);
        ChatRequest second = new ChatRequest(List.of(ChatMessage.user("Send mail to Bob")), TOOLS, null, Sampling.greedy(), 5, List.of(), null);
        chat.complete(first);
        chat.complete(second);
        assertTrue(engine.stats().prefixHits() >= hits + 1, engine.stats().toString());
    }

    @Test
    void maxTokensEndsWithLength() {
        ChatResult result = chat.complete(ChatRequest.of(List.of(ChatMessage.user("hello")), List.of(), 3)
                .withSampling(new Sampling(1.0, 1.0, 0, 9L)));
        assertEquals(3, result.completionTokens());
        assertEquals(FinishReason.LENGTH, result.finishReason());
    }
}
