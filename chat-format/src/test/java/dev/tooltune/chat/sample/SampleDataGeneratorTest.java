package dev.tooltune.chat.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SampleDataGeneratorTest {

    static final Path COMMITTED_SAMPLE = Path.of("..", "samples", "tool-calling-sample.jsonl");

    @Test
    void everyCallIsDeclaredAndSatisfiesItsSchema() throws Exception {
        ToolSchemas validator = new ToolSchemas();
        Map<String, JsonSchema> schemas = new HashMap<>();
        for (ToolDefinition tool : SampleTools.ALL) {
            schemas.put(tool.function().name(), validator.compile(tool.function().parameters()).schema());
        }
        List<ChatExample> examples = new SampleDataGenerator(42).generate(1000);
        for (int i = 0; i < examples.size(); i++) {
            ChatExample example = examples.get(i);
            Set<String> declared = new HashSet<>();
            example.tools().forEach(t -> declared.add(t.function().name()));
            assertTrue(SampleTools.TOOL_SETS.containsValue(example.tools()), "example " + i + " uses a known tool set");
            Set<String> openCallIds = new HashSet<>();
            String previousRole = null;
            for (ChatMessage message : example.messages()) {
                switch (message.role()) {
                    case ChatMessage.SYSTEM -> assertEquals(null, previousRole, "system first in example " + i);
                    case ChatMessage.USER -> assertNotNull(message.content());
                    case ChatMessage.TOOL -> assertTrue(openCallIds.remove(message.toolCallId()),
                            "example " + i + ": tool message answers an earlier call");
                    case ChatMessage.ASSISTANT -> {
                        assertTrue(message.hasToolCalls() || !message.content().isBlank());
                        for (ToolCall call : message.toolCalls() == null ? List.<ToolCall>of() : message.toolCalls()) {
                            String name = call.function().name();
                            assertTrue(declared.contains(name), "example " + i + " calls undeclared " + name);
                            assertTrue(openCallIds.add(call.id()), "call ids are unique");
                            JsonNode arguments = ChatJson.MAPPER.readTree(call.function().arguments());
                            Set<ValidationMessage> errors = schemas.get(name).validate(arguments);
                            assertTrue(errors.isEmpty(), "example " + i + " " + name + " " + arguments + ": " + errors);
                        }
                    }
                    default -> throw new AssertionError("role " + message.role());
                }
                previousRole = message.role();
            }
            ChatMessage last = example.messages().get(example.messages().size() - 1);
            assertEquals(ChatMessage.ASSISTANT, last.role(), "example " + i + " ends with the assistant");
        }
    }

    /** The shared validator, as dataset-service and the inference post-check use it, catches a wrong date-time. */
    @Test
    void schemaValidationInThisTestCanFail() throws Exception {
        JsonSchema schema = new ToolSchemas().compile(SampleTools.CREATE_CALENDAR_EVENT.function().parameters()).schema();
        assertNotEquals(Set.of(), schema.validate(ChatJson.MAPPER.readTree(
                "{\"title\": \"x\", \"start\": \"tomorrow at 3\", \"end\": \"2025-01-01T10:00:00+01:00\"}")));
        assertNotEquals(Set.of(), schema.validate(ChatJson.MAPPER.readTree("{\"title\": \"x\"}")));
    }

    @Test
    void coversTheScenariosTheBriefAsksFor() {
        List<ChatExample> examples = new SampleDataGenerator(42).generate(400);
        int parallel = 0;
        int withResults = 0;
        int multiTurn = 0;
        int noCall = 0;
        int russian = 0;
        int weightZero = 0;
        Set<String> toolsCalled = new HashSet<>();
        for (ChatExample example : examples) {
            List<ChatMessage> messages = example.messages();
            boolean anyCall = false;
            for (ChatMessage message : messages) {
                if (message.hasToolCalls()) {
                    anyCall = true;
                    parallel += message.toolCalls().size() > 1 ? 1 : 0;
                    message.toolCalls().forEach(c -> toolsCalled.add(c.function().name()));
                }
                weightZero += message.weight() != null && message.weight() == 0 ? 1 : 0;
            }
            noCall += anyCall ? 0 : 1;
            withResults += messages.stream().anyMatch(m -> m.role().equals(ChatMessage.TOOL)) ? 1 : 0;
            multiTurn += messages.stream().filter(m -> m.role().equals(ChatMessage.USER)).count() > 1 ? 1 : 0;
            russian += messages.stream().anyMatch(m -> m.role().equals(ChatMessage.USER)
                    && m.content().codePoints().anyMatch(cp -> Character.UnicodeBlock.of(cp)
                            == Character.UnicodeBlock.CYRILLIC)) ? 1 : 0;
        }
        assertEquals(SampleTools.ALL.size(), toolsCalled.size(), "every tool is called somewhere");
        assertTrue(parallel >= 40, "parallel " + parallel);
        assertTrue(withResults >= 120, "with results " + withResults);
        assertTrue(multiTurn >= 30, "multi-turn " + multiTurn);
        assertTrue(noCall >= 40, "no call " + noCall);
        assertTrue(russian >= 120 && russian <= 280, "russian " + russian);
        assertTrue(weightZero >= 5, "weight 0 " + weightZero);
    }

    @Test
    void isDeterministicBySeedAndPrefixStable() throws Exception {
        SampleDataGenerator generator = new SampleDataGenerator(7);
        List<ChatExample> first = generator.generate(50);
        assertEquals(first, new SampleDataGenerator(7).generate(50));
        assertEquals(first.subList(0, 20), generator.generate(20));
        assertNotEquals(first, new SampleDataGenerator(8).generate(50));
    }

    @Test
    void committedSampleIsExactlyTheGeneratorsOutput() throws Exception {
        StringWriter expected = new StringWriter();
        new SampleDataGenerator(42).writeJsonl(400, expected);
        assertEquals(expected.toString(), Files.readString(COMMITTED_SAMPLE, StandardCharsets.UTF_8),
                "samples/tool-calling-sample.jsonl is stale; regenerate it with the command in samples/README.md");
    }
}
