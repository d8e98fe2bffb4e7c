package dev.tooltune.dataset.validation;

import dev.tooltune.chat.schema.ToolSchemas;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ChatNormalizer;
import dev.tooltune.chat.importing.ImportProblem;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleValidatorTest {
    private final ExampleValidator validator = new ExampleValidator(new ValidationLimits(1 << 20, 6, 2, 2, 100, 200), new ToolSchemas());

    private static final String TOOL = """
            {"type":"function","function":{"name":"book_meeting","parameters":{"type":"object",\
            "properties":{"title":{"type":"string"},"minutes":{"type":"integer","minimum":5}},"required":["title"],\
            "additionalProperties":false}}}""";

    private List<ImportProblem> problems(String messages, String tools, String extra) throws Exception {
        String json = "{\"messages\":" + messages + (tools == null ? "" : ",\"tools\":" + tools) + extra + "}";
        return validator.validate(ChatNormalizer.normalize(ChatJson.MAPPER.readTree(json)));
    }

    private static String call(String id, String name, String arguments) {
        return "{\"id\":\"" + id + "\",\"type\":\"function\",\"function\":{\"name\":\"" + name + "\",\"arguments\":" + ChatJson.MAPPER.valueToTree(arguments) + "}}";
    }

    private static void assertOnly(List<ImportProblem> problems, String path, String reasonPart) {
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(path, problems.get(0).path());
        assertTrue(problems.get(0).reason().contains(reasonPart), problems.get(0).reason());
    }

    @Test
    void validExampleHasNoProblems() throws Exception {
        assertEquals(List.of(), problems("""
                [{"role":"system","content":"s"},{"role":"user","content":"book it"},
                 {"role":"assistant","tool_calls":[%s]},{"role":"tool","tool_call_id":"a","content":"ok"},
                 {"role":"assistant","content":"Booked.","weight":1}]""".formatted(call("a", "book_meeting", "{\"title\":\"Sync\",\"minutes\":30}")),
                "[" + TOOL + "]", ""));
    }

    /** Formats the grammar cannot enforce (uri) and ones it can (email, date-time) are both checked on import. */
    @Test
    void argumentFormatsAreAsserted() throws Exception {
        String tool = """
                [{"type":"function","function":{"name":"invite","parameters":{"type":"object","properties":{\
                "email":{"type":"string","format":"email"},"at":{"type":"string","format":"date-time"},\
                "link":{"type":"string","format":"uri"}}}}}]""";
        String path = "$.messages[1].tool_calls[0].function.arguments";
        String messages = "[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[%s]}]";
        assertEquals(List.of(), problems(messages.formatted(call("a", "invite",
                "{\"email\":\"ann@example.com\",\"at\":\"2025-03-01T09:30:00Z\",\"link\":\"https://example.com/m\"}")), tool, ""));
        assertOnly(problems(messages.formatted(call("a", "invite", "{\"email\":\"ann at example\"}")), tool, ""), path, "$.email");
        assertOnly(problems(messages.formatted(call("a", "invite", "{\"at\":\"next Tuesday\"}")), tool, ""), path, "date-time");
        assertOnly(problems(messages.formatted(call("a", "invite", "{\"link\":\"see the wiki\"}")), tool, ""), path, "uri");
    }

    @Test
    void argumentsAreCheckedAgainstTheToolSchema() throws Exception {
        String path = "$.messages[1].tool_calls[0].function.arguments";
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "{\"minutes\":3}") + "]}]",
                "[" + TOOL + "]", "").subList(0, 1), path, "book_meeting");
        List<ImportProblem> schema = problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "{\"minutes\":3}") + "]}]", "[" + TOOL + "]", "");
        assertEquals(2, schema.size(), "missing title and minutes below minimum: " + schema);
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "{\"title\":") + "]}]",
                "[" + TOOL + "]", ""), path, "not valid JSON");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "[1]") + "]}]",
                "[" + TOOL + "]", ""), path, "must be a JSON object");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "{\"title\":\"" + "x".repeat(200) + "\"}") + "]}]",
                "[" + TOOL + "]", ""), path, "longer than 100 bytes");
    }

    @Test
    void toolDeclarationsAreChecked() throws Exception {
        String user = "[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"}]";
        assertOnly(problems(user, "[{\"type\":\"function\",\"function\":{\"name\":\"bad name!\"}}]", ""), "$.tools[0].function.name", "1 to 64 letters");
        assertOnly(problems(user, "[{\"type\":\"function\",\"function\":{\"name\":\"" + "n".repeat(65) + "\"}}]", ""), "$.tools[0].function.name", "1 to 64");
        assertOnly(problems(user, "[" + TOOL + "," + TOOL + "]", ""), "$.tools[1].function.name", "declared twice");
        assertOnly(problems(user, "[" + TOOL + "," + TOOL.replace("book_meeting", "b") + "," + TOOL.replace("book_meeting", "c") + "]", ""), "$.tools", "the limit is 2");
        assertOnly(problems(user, "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"strin\"}}}}}]", ""),
                "$.tools[0].function.parameters.properties.x.type", "\"strin\" is not a JSON Schema type");
        assertOnly(problems(user, "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"array\"}}}]", ""),
                "$.tools[0].function.parameters.type", "must describe an object");
        assertOnly(problems(user, "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"https://example.com/schema.json\"}}}}}]", ""),
                "$.tools[0].function.parameters", "JSON Schema");
    }

    @Test
    void callsMustNameDeclaredToolsAndResultsMustAnswerEarlierCalls() throws Exception {
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "cancel_meeting", "{}") + "]}]",
                "[" + TOOL + "]", ""), "$.messages[1].tool_calls[0].function.name", "not a declared tool (declared: book_meeting)");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "{\"title\":\"t\"}") + ","
                        + call("a", "book_meeting", "{\"title\":\"u\"}") + "]}]", "[" + TOOL + "]", ""),
                "$.messages[1].tool_calls[1].id", "used twice");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"tool_calls\":[" + call("a", "book_meeting", "{\"title\":\"t\"}") + ","
                        + call("b", "book_meeting", "{\"title\":\"u\"}") + "]}]", "[" + TOOL + "]", ",\"parallel_tool_calls\":false"),
                "$.messages[1].tool_calls", "parallel_tool_calls is false");
        assertOnly(problems("""
                [{"role":"user","content":"u"},{"role":"assistant","tool_calls":[%s]},{"role":"tool","tool_call_id":"zzz","content":"r"},
                 {"role":"assistant","content":"done"}]""".formatted(call("a", "book_meeting", "{\"title\":\"t\"}")), "[" + TOOL + "]", "").subList(0, 1),
                "$.messages[2].tool_call_id", "no earlier assistant message made a call with that id");
        List<ImportProblem> unanswered = problems("""
                [{"role":"user","content":"u"},{"role":"assistant","tool_calls":[%s]},{"role":"user","content":"well?"},
                 {"role":"assistant","content":"done"}]""".formatted(call("a", "book_meeting", "{\"title\":\"t\"}")), "[" + TOOL + "]", "");
        assertTrue(unanswered.stream().anyMatch(p -> p.path().equals("$.messages[2]") && p.reason().contains("has no tool result")), unanswered.toString());
    }

    @Test
    void rolesMustComeInALegalOrder() throws Exception {
        assertOnly(problems("[{\"role\":\"assistant\",\"content\":\"hi\"}]", null, ""), "$.messages[0].role", "must start with a user message");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"assistant\",\"content\":\"a\"}]", null, ""),
                "$.messages[1].role", "system message may only come first");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"}]", null, ""),
                "$.messages[1].role", "two user messages in a row");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"}]", null, ""), "$.messages[0]", "must end with an assistant message");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"robot\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"a\"}]", null, ""),
                "$.messages[1].role", "unknown role");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\",\"weight\":0.5}]", null, ""),
                "$.messages[1].weight", "0 (do not train on this turn) or 1");
        assertOnly(problems("[{\"role\":\"user\",\"content\":5},{\"role\":\"assistant\",\"content\":\"a\"}]", null, ""), "$.messages[0].content", "must be text");
        assertOnly(problems("[]", null, ""), "$.messages", "non-empty");
        assertOnly(problems("[{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"u\"},"
                + "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"u\"},{\"role\":\"assistant\",\"content\":\"a\"},"
                + "{\"role\":\"user\",\"content\":\"u\"}]", null, ""), "$.messages", "the limit is 6");
    }

    @Test
    void anEnumFailureNamesTheOffendingValue() throws Exception {
        String tool = """
                {"type":"function","function":{"name":"paint","parameters":{"type":"object",\
                "properties":{"color":{"type":"string","enum":["red","blue"]}}}}}""";
        assertOnly(problems("""
                [{"role":"user","content":"paint"},{"role":"assistant","tool_calls":[%s]}]""".formatted(call("a", "paint", "{\"color\":\"mauve\"}")),
                "[" + tool + "]", ""), "$.messages[1].tool_calls[0].function.arguments", "(found \"mauve\")");
    }
}
