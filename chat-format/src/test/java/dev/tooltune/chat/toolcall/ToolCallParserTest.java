package dev.tooltune.chat.toolcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.template.GemmaChatFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ToolCallParserTest {

    final ToolCallParser parser = new ToolCallParser();
    final GemmaChatFormat format = new GemmaChatFormat();

    @Test
    void readsBackWhatTheFormatterWrites() {
        ChatMessage message = new ChatMessage(ChatMessage.ASSISTANT, "Checking both.", List.of(
                ToolCall.of("x", "get_weather", "{\"city\": \"Paris\", \"days\": [1, 2], \"note\": \"a ``` b\"}"),
                ToolCall.of("y", "send_email", "{\"to\": \"анна@пример.рф\", \"body\": \"line1\\nline2\"}")),
                null, null, null);
        ParsedAssistantMessage parsed = parser.parse(format.renderAssistant(message) + "<end_of_turn>");
        assertEquals("Checking both.", parsed.content());
        assertEquals(2, parsed.toolCalls().size());
        assertEquals(message.toolCalls().get(0).function(), parsed.toolCalls().get(0).function());
        assertEquals("{\"to\": \"анна@пример.рф\", \"body\": \"line1\\nline2\"}",
                parsed.toolCalls().get(1).function().arguments());
        assertTrue(parsed.allBlocksValid());
        assertFalse(parsed.unterminatedBlock());
        assertEquals("tool_calls", parsed.finishReason());
    }

    @Test
    void plainTextIsContent() {
        ParsedAssistantMessage parsed = parser.parse("The capital of France is Paris.<end_of_turn>\n<start_of_turn>user");
        assertEquals("The capital of France is Paris.", parsed.content());
        assertFalse(parsed.hasToolCalls());
        assertEquals(0, parsed.blockCount());
        assertEquals("stop", parsed.finishReason());
        assertEquals("The capital of France is Paris.", parsed.toChatMessage().content());
    }

    @Test
    void idsAreDeterministicAndSeeded() {
        String text = "```tool_call\n{\"name\": \"f\", \"arguments\": {}}\n```\n```tool_call\n{\"name\": \"f\", \"arguments\": {}}\n```";
        List<ToolCall> first = parser.parse(text).toolCalls();
        assertEquals(first, parser.parse(text).toolCalls());
        assertTrue(first.get(0).id().matches("call_[0-9a-f]{24}"), first.get(0).id());
        assertNotEquals(first.get(0).id(), first.get(1).id());
        assertNotEquals(first.get(0).id(), parser.parse(text, "chatcmpl-2").toolCalls().get(0).id());
        assertEquals("function", first.get(0).type());
    }

    @Test
    void toleratesStrayTextMissingFenceAndLeftovers() {
        ParsedAssistantMessage parsed = parser.parse("<start_of_turn>model\nSure!\n```tool_call {\"name\": \"a\","
                + " \"arguments\": {\"k\": 1}}```\nand then ```tool_call\n{\"name\": \"b\", \"arguments\":"
                + " \"{\\\"q\\\": true}\"}");
        assertEquals(List.of("a", "b"), parsed.toolCalls().stream().map(c -> c.function().name()).toList());
        assertEquals("{\"q\": true}", parsed.toolCalls().get(1).function().arguments());
        assertEquals("Sure!\n\nand then", parsed.content());
        assertTrue(parsed.unterminatedBlock());
        assertTrue(parsed.allBlocksValid());
        assertNull(parser.parse("```tool_call\n{\"name\": \"a\"}\n```").toChatMessage().content());
        assertEquals("{}", parser.parse("```tool_call\n{\"name\": \"a\"}\n```").toolCalls().get(0).function().arguments());
    }

    @Test
    void reportsInvalidBlocksWithoutLosingValidOnes() {
        ParsedAssistantMessage parsed = parser.parse("```tool_call\n{\"name\": \"a\", \"arguments\": {\"x\": }\n```\n"
                + "```tool_call\n{\"name\": \"ok\", \"arguments\": {}}\n```\n"
                + "```tool_call\n{\"arguments\": {}}\n```\n"
                + "```tool_call\n{\"name\": \"b\", \"arguments\": [1]}\n```\n"
                + "```tool_call\n{\"name\": \"c\", \"arguments\": {}}}\n```\n"
                + "```tool_call\n{\"name\": \"d\", \"argu");
        assertEquals(List.of("ok"), parsed.toolCalls().stream().map(c -> c.function().name()).toList());
        assertEquals(5, parsed.invalidToolCalls().size());
        assertEquals(List.of(0, 2, 3, 4, 5), parsed.invalidToolCalls().stream().map(InvalidToolCall::index).toList());
        assertTrue(parsed.invalidToolCalls().get(0).reason().startsWith("invalid JSON"), parsed.invalidToolCalls().get(0).reason());
        assertTrue(parsed.invalidToolCalls().get(1).reason().contains("name"));
        assertTrue(parsed.invalidToolCalls().get(2).reason().contains("not a JSON object"));
        assertTrue(parsed.invalidToolCalls().get(3).reason().contains("unexpected text"));
        assertTrue(parsed.unterminatedBlock());
        assertEquals(6, parsed.blockCount());
        assertFalse(parsed.allBlocksValid());
        assertEquals("", parsed.content());
    }

    @Test
    void neverThrowsOnGarbageOrTruncatedOutput() {
        Random random = new Random(42);
        String rendered = format.renderAssistant(new ChatMessage(ChatMessage.ASSISTANT, "Hi там", List.of(
                ToolCall.of("1", "search_businesses", "{\"query\": \"pizza\", \"location\": {\"lat\": 1.5, \"lon\": -2},"
                        + " \"tags\": [\"a\", \"b\"]}"),
                ToolCall.of("2", "send_email", "{\"to\": [\"x@y.z\"], \"subject\": \"\\\"q\\\"\"}")), null, null, null));
        String[] atoms = {"```", "```tool_call", "{", "}", "[", "]", "\"", "\\", ":", ",", "\n", " ", "name", "arguments",
            "<end_of_turn>", "<start_of_turn>", "\u0000", "\uD83C", "1e999999", "-", "null", "ё", "{\"name\": \"f\""};
        for (int trial = 0; trial < 3000; trial++) {
            String text;
            if (trial % 3 == 0) {
                text = rendered.substring(0, random.nextInt(rendered.length() + 1));
            } else {
                StringBuilder garbage = new StringBuilder();
                int pieces = random.nextInt(30);
                for (int i = 0; i < pieces; i++) {
                    garbage.append(random.nextBoolean() ? atoms[random.nextInt(atoms.length)]
                            : String.valueOf((char) random.nextInt(0x500)));
                }
                text = garbage.toString();
            }
            ParsedAssistantMessage parsed = parser.parse(text);
            assertNotNull(parsed.content());
            for (ToolCall call : parsed.toolCalls()) {
                // Every call that comes out has canonical object arguments.
                assertEquals(call.function().arguments(), CanonicalJson.canonicalArguments(call.function().arguments()));
            }
        }
        assertEquals("", parser.parse(null).content());
        assertEquals("[" .repeat(5000), parser.parse("[".repeat(5000)).content());
        assertFalse(parser.parse("```tool_call\n" + "{\"a\":".repeat(5000)).allBlocksValid());
    }

    @Test
    void truncatedGenerationsOfACallAreReportedNotCalled() {
        String block = "```tool_call\n{\"name\": \"f\", \"arguments\": {\"x\": \"yz\"}}\n```";
        int validPrefixes = 0;
        for (int cut = 0; cut <= block.length(); cut++) {
            ParsedAssistantMessage parsed = parser.parse(block.substring(0, cut));
            if (parsed.hasToolCalls()) {
                validPrefixes++;
                assertEquals("{\"x\": \"yz\"}", parsed.toolCalls().get(0).function().arguments());
            }
        }
        // Complete once the JSON object closes: with the newline, and with 0 to 3 closing backticks.
        assertEquals(5, validPrefixes);
    }
}
