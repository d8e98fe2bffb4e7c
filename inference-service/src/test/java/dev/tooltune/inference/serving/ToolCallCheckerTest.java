package dev.tooltune.inference.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.schema.ToolSchemas;
import dev.tooltune.inference.api.ToolChoice;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The post-check moves a call whose arguments break a {@code format} out of the answer: the formats the grammar does
 * not write itself ({@code uri}, {@code hostname}) are caught only here, and an enforced one (date) is checked too.
 */
class ToolCallCheckerTest {
    private final ToolCallChecker checker = new ToolCallChecker(new ToolSchemas());

    @Test
    void aCallBreakingAFormatIsNotReturnedAsValid() throws Exception {
        ToolDefinition tool = ToolDefinition.function("open_link", "Opens a page.", ChatJson.MAPPER.readTree("""
                {"type": "object", "properties": {"url": {"type": "string", "format": "uri"},
                 "host": {"type": "string", "format": "hostname"}, "on": {"type": "string", "format": "date"}}}"""));
        ToolCall good = ToolCall.of("call_1", "open_link", "{\"url\": \"https://example.com/a\", \"host\": \"example.com\", \"on\": \"2025-03-01\"}");
        List<ToolCall> bad = List.of(
                ToolCall.of("call_2", "open_link", "{\"url\": \"the docs page\"}"),
                ToolCall.of("call_3", "open_link", "{\"host\": \"not a host!\"}"),
                ToolCall.of("call_4", "open_link", "{\"on\": \"2025-02-30\"}"));
        List<ToolCall> calls = new java.util.ArrayList<>(bad);
        calls.add(0, good);
        ToolCallChecker.Checked checked = checker.check(calls, List.of(), List.of(tool), ToolChoice.AUTO, true);
        assertEquals(List.of(good), checked.valid());
        assertEquals(3, checked.problems().size(), checked.problems().toString());
        for (String field : List.of("$.url", "$.host", "$.on")) {
            assertTrue(checked.problems().stream().anyMatch(p -> p.reason().contains(field)), field + " in " + checked.problems());
        }
    }
}
