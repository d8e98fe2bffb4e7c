package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.grammar.regex.CodePointSet;
import dev.tooltune.grammar.regex.Formats;
import dev.tooltune.grammar.regex.PatternMachine;
import dev.tooltune.grammar.regex.UnsupportedPatternException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code pattern} and {@code format} enforced while generating: the pattern automaton accepts exactly what
 * java.util.regex finds (for strings a JSON string holds without escapes), sampled values always match, formats
 * always pass the post-check's validator, and what no automaton can do is left to the post-check.
 */
class PatternConstraintTest {
    private static final List<String> PATTERNS = List.of("^[A-Z]{2}$", "^CUST-[0-9]{4}$", "^[a-z]+(-[a-z]+)*$", "ab|cd",
            "^\\d{1,3}(\\.\\d+)?$", "^(?:foo|bar)baz?$", "^[^@\\s]+@[^@\\s]+$", "^é[à-ÿ]{2}$", "x{2,}y?$", "^[\\w.]{3,5}$",
            "^(a|ab)(c|bcd)(d*)$", "^\\u00e9+\\x41$", "^[^a-z]*$", "^.{2}$", "^😀[0-9]?$");
    private static final String ALPHABET = "abcdxyzABCUSTZ0123456789-_.@ éàÿ😀fobr\"\\\n";

    @Test
    void automatonAgreesWithJavaRegex() {
        Random random = new Random(Fixtures.seed());
        int checked = 0;
        for (String source : PATTERNS) {
            PatternMachine machine = PatternMachine.ofPattern(source);
            Pattern java = Pattern.compile(source);
            List<String> candidates = new ArrayList<>(List.of("", "AB", "CUST-1234", "abc-def", "xxabyy", "12.5", "foobaz",
                    "bar", "a@b", "éàÿ", "xxy", "ab_c", "abcd", "abbcdd", "ééA", "ZZ", "😀7"));
            for (int i = 0; i < 400; i++) {
                StringBuilder text = new StringBuilder();
                int length = random.nextInt(8);
                for (int j = 0; j < length; j++) {
                    text.appendCodePoint(ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0, random.nextInt(ALPHABET.codePointCount(0, ALPHABET.length())))));
                }
                candidates.add(text.toString());
            }
            for (String candidate : candidates) {
                if (!candidate.codePoints().allMatch(CodePointSet.WRITABLE::contains)) {
                    continue;
                }
                assertEquals(java.matcher(candidate).find(), accepts(machine, candidate),
                        () -> source + " on \"" + candidate + "\"");
                checked++;
            }
        }
        System.out.printf("pattern automata agreed with java.util.regex on %d strings%n", checked);
    }

    @Test
    void sampledStringsMatchTheirPattern() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        for (String source : PATTERNS) {
            JsonNode schema = ChatJson.MAPPER.createObjectNode().put("type", "string").put("pattern", source);
            for (int i = 0; i < 12; i++) {
                GrammarConstraint constraint = (GrammarConstraint) decoding.forResponseFormat(responseFormat(schema)).orElseThrow();
                Fixtures.Sample sample = Fixtures.sample(constraint, random, constraint.shortestCompletion() + 1 + random.nextInt(40), i % 2 == 0);
                assertTrue(sample.finished(), () -> source + " unfinished: " + sample.text());
                String value = Fixtures.json(sample.text()).asText();
                assertTrue(Pattern.compile(source).matcher(value).find(), () -> source + " sampled \"" + value + "\"");
            }
        }
    }

    @Test
    void formatsAlwaysPassTheValidator() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        Map<String, String> invalid = Map.of("date", "2025-02-30", "time", "24:00:00Z", "date-time", "2025-01-01 10:00",
                "email", "ann@", "uuid", "123e4567-e89b-12d3-a456", "ipv4", "10.0.0.256");
        for (String format : Formats.ENFORCED) {
            JsonNode schema = ChatJson.MAPPER.createObjectNode().put("type", "string").put("format", format);
            assertTrue(decoding.jsonGrammar(schema).postChecked().isEmpty(), format + " is enforced, not post-checked");
            // else this test passes whatever the grammar writes
            assertEquals(1, decoding.check().validate(ChatJson.MAPPER.valueToTree(invalid.get(format)), schema).size(),
                    () -> "the validator asserts " + format);
            for (int i = 0; i < 25; i++) {
                GrammarConstraint constraint = (GrammarConstraint) decoding.forResponseFormat(responseFormat(schema)).orElseThrow();
                Fixtures.Sample sample = Fixtures.sample(constraint, random, constraint.shortestCompletion() + 1 + random.nextInt(60), i % 2 == 0);
                assertTrue(sample.finished(), () -> format + " unfinished: " + sample.text());
                JsonNode value = Fixtures.json(sample.text());
                assertEquals(List.of(), decoding.check().validate(value, schema), () -> format + ": " + value);
            }
        }
    }

    /**
     * Random sampling rarely reaches the corners of the validator's time parsers, so every offset -23:59..+23:59 is
     * tried at local times near both midnights: each one the format's pattern allows must pass the validator.
     */
    @Test
    void everyTimeOffsetTheGrammarAllowsPassesTheValidator() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        int allowed = 0;
        for (String format : List.of("time", "date-time")) {
            JsonNode schema = ChatJson.MAPPER.createObjectNode().put("type", "string").put("format", format);
            Pattern pattern = Pattern.compile(Formats.pattern(format));
            for (String local : List.of("00:00:00", "00:30:00.5", "12:00:00", "23:59:59.999999")) {
                for (int minutes = -(24 * 60 - 1); minutes < 24 * 60; minutes++) {
                    String offset = String.format("%s%02d:%02d", minutes < 0 ? "-" : "+", Math.abs(minutes) / 60, Math.abs(minutes) % 60);
                    for (String o : minutes == 0 ? List.of(offset, "-00:00", "Z") : List.of(offset)) {
                        String value = (format.equals("time") ? "" : "2024-12-31T") + local + o;
                        if (pattern.matcher(value).find()) {
                            allowed++;
                            assertEquals(List.of(), decoding.check().validate(ChatJson.MAPPER.valueToTree(value), schema), value);
                        }
                    }
                }
            }
        }
        assertTrue(allowed > 10_000, "offsets allowed: " + allowed);
    }

    @Test
    void whatNoAutomatonCanDoIsLeftToThePostCheck() {
        for (String source : List.of("(a)\\1", "(?=a)b", "\\bword", "a^b", "\\p{L}+")) {
            assertThrows(UnsupportedPatternException.class, () -> PatternMachine.ofPattern(source), source);
            JsonNode schema = ChatJson.MAPPER.createObjectNode().put("type", "string").put("pattern", source);
            List<String> post = Fixtures.decoding().jsonGrammar(schema).postChecked();
            assertTrue(post.stream().anyMatch(k -> k.contains("pattern")), () -> source + " post-checked: " + post);
        }
    }

    private static boolean accepts(PatternMachine machine, String text) {
        int state = machine.start();
        for (int cp : text.codePoints().toArray()) {
            state = machine.step(state, cp);
            if (state == PatternMachine.DEAD) {
                return false;
            }
        }
        return machine.accepting(state);
    }

    private static JsonNode responseFormat(JsonNode schema) {
        var format = ChatJson.MAPPER.createObjectNode().put("type", "json_schema");
        format.putObject("json_schema").put("name", "value").set("schema", schema);
        return format;
    }
}
