package dev.tooltune.chat.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.template.TokenizedChat;
import dev.tooltune.chat.template.TrainedSpans;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every example of the committed sample dataset through the formatter, the parser and the tokenizer. */
class SampleRoundTripTest {

    static List<ChatExample> examples;
    final GemmaChatFormat format = new GemmaChatFormat();
    final ToolCallParser parser = new ToolCallParser();

    @BeforeAll
    static void read() throws Exception {
        examples = new ArrayList<>();
        for (String line : Files.readAllLines(SampleDataGeneratorTest.COMMITTED_SAMPLE, StandardCharsets.UTF_8)) {
            examples.add(ChatJson.MAPPER.readValue(line, ChatExample.class));
        }
        assertTrue(examples.size() >= 300, "sample has " + examples.size() + " examples");
    }

    @Test
    void everyAssistantTurnParsesBackToItsCallsAndContent() throws Exception {
        int calls = 0;
        for (int i = 0; i < examples.size(); i++) {
            String rendered = format.render(examples.get(i));
            for (ChatMessage message : examples.get(i).messages()) {
                if (!message.role().equals(ChatMessage.ASSISTANT)) {
                    continue;
                }
                String generated = format.renderAssistant(message) + GemmaTokenizer.END_OF_TURN;
                assertTrue(rendered.contains(GemmaChatFormat.MODEL_HEADER + generated), "example " + i);
                ParsedAssistantMessage parsed = parser.parse(generated, "example-" + i);
                assertTrue(parsed.allBlocksValid(), "example " + i + ": " + parsed.invalidToolCalls());
                assertFalse(parsed.unterminatedBlock());
                assertEquals(message.content() == null ? "" : message.content().strip(), parsed.content(),
                        "example " + i);
                List<ToolCall> expected = message.toolCalls() == null ? List.of() : message.toolCalls();
                assertEquals(expected.size(), parsed.toolCalls().size(), "example " + i);
                for (int c = 0; c < expected.size(); c++) {
                    ToolCall want = expected.get(c);
                    ToolCall got = parsed.toolCalls().get(c);
                    assertEquals(want.function().name(), got.function().name(), "example " + i);
                    assertEquals(tree(want.function().arguments()), tree(got.function().arguments()), "example " + i);
                    assertTrue(got.id().startsWith("call_"));
                    calls++;
                }
            }
        }
        assertTrue(calls > 300, "round-tripped " + calls + " calls");
    }

    @Test
    void everyExampleTokenizesWithAnExactAssistantMask() {
        GemmaTokenizer tokenizer = GemmaTokenizer.loadDefault();
        long totalTokens = 0;
        for (int i = 0; i < examples.size(); i++) {
            ChatExample example = examples.get(i);
            TokenizedChat tokenized = format.tokenize(example, tokenizer);
            if (i % 8 == 0) {
                // Encoding the whole text is slow (the tools declaration is not reused), so a sample of examples.
                assertArrayEquals(tokenizer.encode(format.render(example)), tokenized.tokenIds(), "example " + i);
            }
            List<String> expected = new ArrayList<>();
            for (ChatMessage message : example.messages()) {
                if (message.trained()) {
                    expected.add(format.renderAssistant(message) + GemmaTokenizer.END_OF_TURN);
                }
            }
            assertEquals(expected, TrainedSpans.of(tokenized, tokenizer), "example " + i);
            totalTokens += tokenized.length();
        }
        assertTrue(totalTokens > 100_000, "tokens " + totalTokens);
    }

    private static JsonNode tree(String json) throws Exception {
        return ChatJson.MAPPER.readTree(json);
    }
}
