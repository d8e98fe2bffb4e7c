package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Token boundaries that do not match JSON's: tokens that close a string and go on, escapes and multi-byte characters
 * split over byte-fallback tokens, numbers split over tokens. Byte-fallback tokens {@code <0xNN>} let a test cut the
 * text at any byte.
 */
class TokenizerEdgeCaseTest {
    private final ConstrainedDecoding decoding = Fixtures.decoding();
    private final GemmaTokenizer tokenizer = Fixtures.tokenizer();

    private GrammarConstraint json(String schema) {
        return decoding.jsonGrammar(Fixtures.json(schema)).newConstraint();
    }

    private int byteToken(int b) {
        return tokenizer.tokenId(String.format("<0x%02X>", b)).orElseThrow();
    }

    /** A text token whose bytes are exactly {@code text}. */
    private int textToken(String text) {
        byte[] wanted = text.getBytes(StandardCharsets.UTF_8);
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (!tokenizer.isSpecial(id) && !tokenizer.isByteToken(id) && Arrays.equals(wanted, tokenizer.tokenBytesView(id))) {
                return id;
            }
        }
        throw new AssertionError("no token is exactly " + text);
    }

    /** Feeds {@code text} one byte-fallback token per byte; false at the first byte not allowed. */
    private boolean feedBytes(GrammarConstraint constraint, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int token = byteToken(b & 0xFF);
            if (!constraint.allows(token)) {
                return false;
            }
            constraint.accept(token);
        }
        return true;
    }

    @Test
    void aTokenThatClosesAStringAndGoesOnIsAllowedOnlyWhereTheRestFits() {
        String schema = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}, \"b\": {\"type\": \"string\"}},"
                + " \"additionalProperties\": false}";
        int quoteComma = textToken("\",");
        int quoteBrace = textToken("\"}");
        GrammarConstraint first = json(schema);
        assertTrue(feedBytes(first, "{\"a\": \"x"));
        assertTrue(first.allows(quoteComma), "b may still follow a");
        assertTrue(first.allows(quoteBrace));
        GrammarConstraint last = json(schema);
        assertTrue(feedBytes(last, "{\"a\": \"x\", \"b\": \"y"));
        assertFalse(last.allows(quoteComma), "no key is left after b");
        assertTrue(last.allows(quoteBrace));
        last.accept(quoteBrace);
        assertTrue(last.canStop());
        assertTrue(last.isDone());
    }

    @Test
    void escapesSplitOverTokens() {
        String schema = "{\"type\": \"string\", \"maxLength\": 1}";
        GrammarConstraint escaped = json(schema);
        assertTrue(feedBytes(escaped, "\"\\u00e9\""), "one escaped character");
        assertTrue(escaped.isDone());
        assertTrue(feedBytes(json(schema), "\"\\ud83d\\ude00\""), "a surrogate pair is one character");
        assertFalse(feedBytes(json(schema), "\"\\udc00"), "a low surrogate alone");
        assertFalse(feedBytes(json(schema), "\"\\ud83d\\u0041"), "a high surrogate not followed by a low one");
        assertFalse(feedBytes(json(schema), "\"\\u00g"), "not a hex digit");
        assertFalse(feedBytes(json(schema), "\"\\x"), "not an escape");
        assertFalse(feedBytes(json(schema), "\"\\n\\n"), "two characters where one is allowed");
    }

    @Test
    void multiByteCharactersSplitOverTokens() {
        String schema = "{\"type\": \"string\", \"minLength\": 1, \"maxLength\": 1}";
        GrammarConstraint split = json(schema);
        split.accept(byteToken('"'));
        split.accept(byteToken(0xC3));
        assertFalse(split.allows(byteToken('"')), "the character is not complete");
        assertTrue(split.allows(byteToken(0xA9)));
        assertFalse(split.allows(byteToken(0x41)), "not a continuation byte");
        split.accept(byteToken(0xA9));
        assertFalse(split.allows(byteToken('a')), "maxLength 1 counts é as one character");
        assertTrue(split.allows(byteToken('"')));
        assertFalse(feedBytes(json(schema), "\"\u0000"), "raw control character");
        GrammarConstraint overlong = json(schema);
        overlong.accept(byteToken('"'));
        assertFalse(overlong.allows(byteToken(0xC0)), "overlong lead byte");
        overlong.accept(byteToken(0xED));
        assertFalse(overlong.allows(byteToken(0xA0)), "an encoded surrogate");
        assertTrue(feedBytes(json(schema), "\"😀\""), "four bytes, one character");
    }

    @Test
    void numbersSplitOverTokensKeepTheirBounds() {
        String schema = "{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 20}},"
                + " \"required\": [\"n\"], \"additionalProperties\": false}";
        GrammarConstraint c = json(schema);
        assertTrue(feedBytes(c, "{\"n\": "));
        assertFalse(c.allows(byteToken('0')), "0 cannot become 1..20");
        assertFalse(c.allows(byteToken('-')));
        c.accept(textToken("2"));
        assertFalse(c.allows(byteToken('5')), "25 > 20");
        assertFalse(c.allows(byteToken('.')), "an integer");
        assertTrue(c.allows(byteToken('0')));
        assertTrue(c.allows(byteToken('}')), "2 is in range");
        c.accept(byteToken('0'));
        assertFalse(c.allows(byteToken('0')), "200 > 20");
        assertTrue(c.allows(byteToken('}')));
        GrammarConstraint number = json("{\"type\": \"number\", \"exclusiveMinimum\": 0, \"maximum\": 5}");
        assertFalse(number.allows(byteToken('-')));
        assertTrue(feedBytes(number, "0.0"));
        assertFalse(number.canStop(), "0.0 is not above 0");
        assertTrue(feedBytes(number, "1"));
        assertTrue(number.canStop(), "0.01 > 0");
        assertFalse(feedBytes(json("{\"type\": \"number\", \"maximum\": 5}"), "5.01"));
        assertTrue(feedBytes(json("{\"type\": \"number\"}"), "-1.5e+10"));
    }

    @Test
    void controlTokensAreNeverTextAndStopOnlyWhereTheOutputIsComplete() {
        GrammarConstraint c = json("{\"type\": \"object\"}");
        assertFalse(c.allows(GemmaTokenizer.END_OF_TURN_ID));
        assertFalse(c.allows(GemmaTokenizer.START_OF_TURN_ID));
        assertThrows(IllegalStateException.class, () -> c.accept(GemmaTokenizer.END_OF_TURN_ID));
        assertThrows(IllegalStateException.class, () -> c.accept(textToken("abc")));
        assertTrue(feedBytes(c, "{}"));
        assertTrue(c.allows(GemmaTokenizer.END_OF_TURN_ID));
        assertTrue(c.isDone());
    }

    @Test
    void responseFormatsGiveJsonThatValidates() {
        assertEquals(Optional.empty(), decoding.forResponseFormat(Fixtures.json("{\"type\": \"text\"}")));
        Random random = new Random(3);
        String schema = "{\"type\": \"object\", \"properties\": {\"answer\": {\"type\": \"string\", \"minLength\": 1},"
                + " \"score\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 10}}, \"required\": [\"answer\", \"score\"]}";
        for (String format : new String[] {"{\"type\": \"json_object\"}",
                "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"r\", \"schema\": " + schema + "}}"}) {
            for (int i = 0; i < 20; i++) {
                Fixtures.Sample sample = Fixtures.sample(
                        decoding.forResponseFormat(Fixtures.json(format)).orElseThrow(), random, 1500);
                if (!sample.finished()) {
                    continue;
                }
                String text = sample.text().replace(GemmaTokenizer.END_OF_TURN, "");
                assertEquals(java.util.List.of(), decoding.check().json(text,
                        ConstrainedDecoding.responseFormatSchema(Fixtures.json(format))), text);
            }
        }
    }

    @Test
    void badSchemasAndChoicesSayWhatAndWhere() {
        var tools = java.util.List.of(dev.tooltune.chat.ToolDefinition.function("t", "d",
                Fixtures.json("{\"type\": \"object\", \"properties\": {\"x\": {\"$ref\": \"https://example.com/s.json\"}}}")));
        var error = assertThrows(dev.tooltune.grammar.schema.SchemaException.class,
                () -> decoding.forTools(tools, ToolChoice.AUTO, true));
        assertTrue(error.getMessage().contains("tool \"t\"") && error.getMessage().contains("#/properties/x"), error.getMessage());
        var named = assertThrows(IllegalArgumentException.class, () -> decoding.forTools(
                dev.tooltune.chat.sample.SampleTools.TOOL_SETS.get("office"), ToolChoice.named("nope"), true));
        assertTrue(named.getMessage().contains("nope"));
        assertEquals(Optional.empty(), decoding.forTools(dev.tooltune.chat.sample.SampleTools.ALL, ToolChoice.NONE, true));
        assertEquals(ToolChoice.named("f"), ToolChoice.fromOpenAi(Fixtures.json("{\"type\": \"function\", \"function\": {\"name\": \"f\"}}")));
    }
}
