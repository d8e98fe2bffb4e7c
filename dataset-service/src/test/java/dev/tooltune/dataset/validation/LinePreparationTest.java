package dev.tooltune.dataset.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.chat.importing.ImportProblem;
import dev.tooltune.chat.schema.ToolSchemas;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One line under the import options: metadata, undeclared arguments, schema type names, parse errors. */
class LinePreparationTest {
    private final ExampleValidator validator = new ExampleValidator(new ValidationLimits(1 << 20, 16, 8, 4, 4096, 300), new ToolSchemas());

    private static final LineRules WARN = LineRules.DEFAULTS;
    private static final LineRules REJECT = new LineRules(ImportFormat.OPENAI, UndeclaredArguments.REJECT, false);
    private static final LineRules NORMALIZE = new LineRules(ImportFormat.OPENAI, UndeclaredArguments.WARN, true);

    /** A weather call with {@code arguments} (an object's JSON), the tool's {@code parameters}, and extra top-level keys. */
    private static String line(String arguments, String parameters, String extraKeys) {
        return """
                {%s"messages":[{"role":"user","content":"Weather?"},\
                {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":%s}}]},\
                {"role":"tool","content":"21","tool_call_id":"c1"},{"role":"assistant","content":"21 degrees."}],\
                "tools":[{"type":"function","function":{"name":"get_weather","parameters":%s}}]}"""
                .formatted(extraKeys, ChatJson.MAPPER.valueToTree(arguments), parameters);
    }

    private static final String CITY = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}";

    private PreparedExample prepare(String line, LineRules rules) {
        return PreparedExample.fromJsonText(line, rules, validator);
    }

    private static String reasons(List<ImportProblem> problems) {
        return problems.stream().map(p -> p.path() + ": " + p.reason()).toList().toString();
    }

    @Test
    void topLevelKeysOutsideTheChatFormatAreMetadataExportedAfterTheChat() throws Exception {
        PreparedExample example = prepare(line("{\"city\":\"Oslo\"}", CITY, "\"id\":\"bfcl-17\",\"category\":\"simple\",")
                .replace("}]}", "}],\"ground_truth\":{\"get_weather\":{\"city\":[\"Oslo\"]}},\"score\":0.25}"), WARN);
        assertTrue(example.valid(), reasons(example.problems()));
        assertEquals("{\"id\":\"bfcl-17\",\"category\":\"simple\",\"ground_truth\":{\"get_weather\":{\"city\":[\"Oslo\"]}},\"score\":0.25}",
                example.metadata());
        assertTrue(example.body().endsWith(",\"id\":\"bfcl-17\",\"category\":\"simple\",\"ground_truth\":{\"get_weather\":{\"city\":[\"Oslo\"]}},\"score\":0.25}"),
                example.body());
        // duplicates are judged on the conversation: the same chat with another id has the same hash
        PreparedExample other = prepare(line("{\"city\":\"Oslo\"}", CITY, "\"id\":\"bfcl-18\","), WARN);
        assertEquals(List.of(), List.of(example.contentHash()).stream().filter(h -> !java.util.Arrays.equals(h, other.contentHash())).toList());
        assertNull(prepare(line("{\"city\":\"Oslo\"}", CITY, ""), WARN).metadata());
    }

    @Test
    void metadataOverTheLimitIsTheLinesProblemAndNeverStored() {
        PreparedExample example = prepare(line("{\"city\":\"Oslo\"}", CITY, "\"reference\":\"" + "x".repeat(400) + "\","), LineRules.of(ImportFormat.OPENAI));
        assertFalse(example.storable());
        assertTrue(reasons(example.problems()).contains("the metadata (top-level keys reference) is 416 bytes; the limit is 300 bytes"),
                reasons(example.problems()));
    }

    @Test
    void anArgumentTheSchemaDoesNotDeclareIsAWarningOrUnderRejectAnError() {
        String line = line("{\"city\":\"Oslo\",\"units\":\"metric\"}", CITY, "");
        PreparedExample warned = prepare(line, WARN);
        assertTrue(warned.valid(), reasons(warned.problems()));
        assertEquals(1, warned.warnings().size(), reasons(warned.warnings()));
        assertEquals("$.messages[1].tool_calls[0].function.arguments.units", warned.warnings().get(0).path());
        assertTrue(warned.warnings().get(0).reason().contains("argument \"units\" is not declared in the parameters of \"get_weather\" (declared: city)"),
                reasons(warned.warnings()));

        PreparedExample rejected = prepare(line, REJECT);
        assertFalse(rejected.valid());
        assertEquals("$.messages[1].tool_calls[0].function.arguments.units", rejected.problems().get(0).path());
        assertTrue(rejected.problems().get(0).reason().contains("undeclaredArguments=reject"), reasons(rejected.problems()));

        // declared by additionalProperties or patternProperties: nothing to say; forbidden: the schema's own error
        assertEquals(List.of(), prepare(line("{\"city\":\"Oslo\",\"units\":\"metric\"}",
                CITY.replace("}},", "}},\"additionalProperties\":true,"), ""), REJECT).warnings());
        assertTrue(prepare(line("{\"city\":\"Oslo\",\"units\":\"metric\"}",
                CITY.replace("}},", "}},\"patternProperties\":{\"^un\":{\"type\":\"string\"}},"), ""), REJECT).valid());
        PreparedExample forbidden = prepare(line("{\"city\":\"Oslo\",\"units\":\"metric\"}",
                CITY.replace("}},", "}},\"additionalProperties\":false,"), ""), REJECT);
        assertEquals(1, forbidden.problems().size(), reasons(forbidden.problems()));
        assertEquals(List.of(), forbidden.warnings());
    }

    private static final String BFCL = """
            {"type":"dict","properties":{"city":{"type":"str"},"days":{"type":"int"},"ratio":{"type":"float"},\
            "exact":{"type":"bool"},"tags":{"type":"list","items":{"type":"str"}},"point":{"type":"tuple"},\
            "options":{"type":"dict","properties":{"type":{"type":"any"}}},"kind":{"type":"string","enum":["dict"]}},\
            "required":["city"]}""";

    @Test
    void bfclTypesAreNamedAsErrorsOrNormalisedWithAWarningEach() throws Exception {
        String line = line("{\"city\":\"Oslo\",\"days\":3,\"ratio\":0.5,\"tags\":[\"a\"],\"options\":{\"type\":1}}", BFCL, "");
        PreparedExample strict = prepare(line, WARN);
        assertFalse(strict.valid());
        String errors = reasons(strict.problems());
        assertTrue(errors.contains("$.tools[0].function.parameters.type: \"dict\" is not a JSON Schema type; use \"object\", or import with normalizeSchemaTypes=true"), errors);
        assertTrue(errors.contains("$.tools[0].function.parameters.properties.days.type: \"int\" is not a JSON Schema type; use \"integer\""), errors);
        assertTrue(errors.contains("$.tools[0].function.parameters.properties.options.properties.type.type: \"any\" is not a JSON Schema type; leave \"type\" out"), errors);
        assertEquals(10, strict.problems().size(), errors);

        PreparedExample normalised = prepare(line, NORMALIZE);
        assertTrue(normalised.valid(), reasons(normalised.problems()));
        assertEquals(10, normalised.warnings().size(), reasons(normalised.warnings()));
        assertTrue(reasons(normalised.warnings()).contains(
                "$.tools[0].function.parameters.properties.tags.items.type: rewrote type \"str\" to \"string\" (normalizeSchemaTypes=true)"),
                reasons(normalised.warnings()));
        // the stored example keeps the normalised schema; enum values and property names are data, never rewritten
        var parameters = ChatJson.MAPPER.readTree(normalised.body()).at("/tools/0/function/parameters");
        assertEquals("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"},"
                + "\"ratio\":{\"type\":\"number\"},\"exact\":{\"type\":\"boolean\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                + "\"point\":{\"type\":\"array\"},\"options\":{\"type\":\"object\",\"properties\":{\"type\":{}}},"
                + "\"kind\":{\"type\":\"string\",\"enum\":[\"dict\"]}},\"required\":[\"city\"]}", parameters.toString());

        // a type nobody can map is an error in both modes, named with its path
        PreparedExample unknown = prepare(line("{\"city\":\"Oslo\"}", CITY.replace("\"string\"", "\"text\""), ""), NORMALIZE);
        assertEquals("$.tools[0].function.parameters.properties.city.type", unknown.problems().get(0).path());
        assertTrue(unknown.problems().get(0).reason().startsWith("\"text\" is not a JSON Schema type; JSON Schema's types are"), reasons(unknown.problems()));
    }

    @Test
    void parseErrorsSayWhatIsWrongWithoutTheParsersInternals() {
        String[] broken = {
                "{\"messages\":[{\"role\":\"user\"",                              // end of input inside an object
                "{\"messages\":[}",                                               // wrong closing bracket
                "[".repeat(1200) + "]".repeat(1200),                              // deeper than the reader allows
                "{\"n\":" + "9".repeat(1500) + "}",                               // a number too long
                "{\"messages\":\"\u0000\"}",                                      // a raw control character
                "{\"n\":1e999}",                                                  // a number too large for a double
                "{\"messages\":[]},",                                              // a line of a pretty-printed array
        };
        for (String line : broken) {
            PreparedExample example = prepare(line, WARN);
            String reason = reasons(example.problems());
            assertFalse(example.storable(), reason);
            for (String internal : new String[] {"Source:", "REDACTED", "StreamReadConstraints", "StreamReadFeature", "`", "com.fasterxml"}) {
                assertFalse(reason.contains(internal), internal + " in " + reason);
            }
        }
        assertTrue(reasons(prepare(broken[0], WARN).problems()).contains("not valid JSON: Unexpected end-of-input"), reasons(prepare(broken[0], WARN).problems()));
        assertTrue(reasons(prepare(broken[2], WARN).problems()).contains("nested more than 1000 levels deep"), reasons(prepare(broken[2], WARN).problems()));
        assertTrue(reasons(prepare(broken[3], WARN).problems()).contains("holds a number longer than 1000 characters"), reasons(prepare(broken[3], WARN).problems()));
        assertTrue(reasons(prepare(broken[5], WARN).problems()).contains("$.n: holds a number too large"), reasons(prepare(broken[5], WARN).problems()));
        assertTrue(reasons(prepare(broken[6], WARN).problems()).contains("not valid JSON: Unexpected character (','"), reasons(prepare(broken[6], WARN).problems()));
        assertTrue(reasons(prepare("{} {}", WARN).problems()).contains("more than one JSON value"), reasons(prepare("{} {}", WARN).problems()));
        String arguments = reasons(prepare(line("{\"city\":", CITY, ""), WARN).problems());
        assertTrue(arguments.contains("arguments are not valid JSON: Unexpected end-of-input") && !arguments.contains("Source:"), arguments);
    }
}
