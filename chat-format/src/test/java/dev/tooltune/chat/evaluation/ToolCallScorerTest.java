package dev.tooltune.chat.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.toolcall.InvalidToolCall;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolCallScorerTest {

    static final List<ToolDefinition> TOOLS = List.of(
            ToolDefinition.function("get_weather", "Weather for a city", json("""
                    {"type":"object","properties":{
                      "city":{"type":"string"},
                      "unit":{"type":"string","enum":["celsius","fahrenheit"],"default":"celsius"},
                      "days":{"type":"integer"}},
                     "required":["city"]}""")),
            ToolDefinition.function("convert", "Convert an amount", json("""
                    {"type":"object","properties":{
                      "amount":{"type":"number"},"from":{"type":"string"},"to":{"type":"string"},
                      "tags":{"type":"array","items":{"type":"string"}}},
                     "required":["amount","from","to"]}""")));

    @Test
    void parallelCallsMatchInAnyOrderWithKeyOrderAndNumberFormIgnored() {
        List<ToolCall> expected = List.of(
                ToolCall.of("a", "get_weather", "{\"city\":\"Paris\",\"days\":3}"),
                ToolCall.of("b", "convert", "{\"amount\":10,\"from\":\"EUR\",\"to\":\"USD\"}"));
        List<ToolCall> predicted = List.of(
                ToolCall.of("x", "convert", "{\"to\":\"USD\",\"from\":\"EUR\",\"amount\":10.0}"),
                ToolCall.of("y", "get_weather", "{\"days\":3,\"city\":\"Paris\"}"));
        ToolCallScorer.ExampleScore score = ToolCallScorer.score(expected, predicted, TOOLS);
        assertTrue(score.exactMatch(), score.mismatch());
        assertEquals(2, score.matchedCalls());
        assertTrue(score.namesMatch());
        assertNull(score.mismatch());
    }

    @Test
    void wrongValueTypeAndMissingRequiredParametersFail() {
        List<ToolCall> expected = List.of(ToolCall.of("a", "get_weather", "{\"city\":\"Paris\",\"days\":3}"));
        ToolCallScorer.ExampleScore wrongValue =
                ToolCallScorer.score(expected, List.of(ToolCall.of("x", "get_weather", "{\"city\":\"Lyon\",\"days\":3}")), TOOLS);
        assertFalse(wrongValue.exactMatch());
        assertTrue(wrongValue.namesMatch());
        assertEquals(0, wrongValue.matchedCalls());
        assertTrue(wrongValue.mismatch().contains("city"), wrongValue.mismatch());

        ToolCallScorer.ExampleScore wrongType =
                ToolCallScorer.score(expected, List.of(ToolCall.of("x", "get_weather", "{\"city\":\"Paris\",\"days\":\"3\"}")), TOOLS);
        assertFalse(wrongType.exactMatch());
        assertTrue(wrongType.mismatch().contains("type integer"), wrongType.mismatch());

        ToolCallScorer.ExampleScore missing =
                ToolCallScorer.score(expected, List.of(ToolCall.of("x", "get_weather", "{\"days\":3}")), TOOLS);
        assertTrue(missing.mismatch().contains("missing required parameter 'city'"), missing.mismatch());

        ToolCallScorer.ExampleScore unknown = ToolCallScorer.score(
                expected, List.of(ToolCall.of("x", "get_weather", "{\"city\":\"Paris\",\"days\":3,\"zip\":1}")), TOOLS);
        assertTrue(unknown.mismatch().contains("unknown parameter 'zip'"), unknown.mismatch());
    }

    @Test
    void optionalParameterAtItsDefaultIsAcceptedButOtherValuesAreNot() {
        List<ToolCall> expected = List.of(ToolCall.of("a", "get_weather", "{\"city\":\"Oslo\"}"));
        assertTrue(ToolCallScorer.score(expected,
                List.of(ToolCall.of("x", "get_weather", "{\"city\":\"Oslo\",\"unit\":\"celsius\"}")), TOOLS).exactMatch());
        assertFalse(ToolCallScorer.score(expected,
                List.of(ToolCall.of("x", "get_weather", "{\"city\":\"Oslo\",\"unit\":\"fahrenheit\"}")), TOOLS).exactMatch());
        assertFalse(ToolCallScorer.score(expected,
                List.of(ToolCall.of("x", "get_weather", "{\"city\":\"Oslo\",\"unit\":\"kelvin\"}")), TOOLS).exactMatch());
    }

    @Test
    void duplicateCallsNeedOneToOneMatches() {
        List<ToolCall> expected = List.of(
                ToolCall.of("a", "get_weather", "{\"city\":\"Paris\"}"),
                ToolCall.of("b", "get_weather", "{\"city\":\"Rome\"}"));
        List<ToolCall> twiceParis = List.of(
                ToolCall.of("x", "get_weather", "{\"city\":\"Paris\"}"),
                ToolCall.of("y", "get_weather", "{\"city\":\"Paris\"}"));
        ToolCallScorer.ExampleScore score = ToolCallScorer.score(expected, twiceParis, TOOLS);
        assertFalse(score.exactMatch());
        assertTrue(score.namesMatch());
        assertEquals(1, score.matchedCalls());
    }

    @Test
    void metricsAggregateAbstentionValidityAndAccuracies() {
        List<ToolCall> weather = List.of(ToolCall.of("a", "get_weather", "{\"city\":\"Paris\"}"));
        List<ToolCallScorer.ExampleScore> scores = List.of(
                ToolCallScorer.score(weather, weather, TOOLS),                                               // exact
                ToolCallScorer.score(weather, List.of(ToolCall.of("x", "get_weather", "{\"city\":")), TOOLS),  // broken JSON
                ToolCallScorer.score(weather, List.of(ToolCall.of("x", "convert", "{\"amount\":1,\"from\":\"a\",\"to\":\"b\"}")), TOOLS),
                ToolCallScorer.score(List.of(), List.of(), TOOLS),                                           // abstained
                ToolCallScorer.score(List.of(), weather, TOOLS));                                            // called anyway
        ToolCallMetrics metrics = ToolCallMetrics.of(scores);
        assertEquals(5, metrics.examples());
        assertEquals(2.0 / 5, metrics.exactMatch(), 1e-12);
        assertEquals(2.0 / 3, metrics.functionNameAccuracy(), 1e-12);
        assertEquals(1.0 / 3, metrics.argumentAccuracy(), 1e-12);
        assertEquals(3.0 / 4, metrics.jsonValidityRate(), 1e-12);
        assertEquals(0.5, metrics.abstentionAccuracy(), 1e-12);
        assertEquals(3, metrics.examplesWithCalls());
        assertEquals(2, metrics.examplesWithoutCalls());
        assertEquals(3, metrics.expectedCalls());
        assertEquals(4, metrics.predictedCalls());
        assertEquals("a call where none was expected", scores.get(4).mismatch());
    }

    @Test
    void parsedGenerationsCountMalformedBlocksAsInvalidCalls() {
        List<ToolCall> weather = List.of(ToolCall.of("a", "get_weather", "{\"city\":\"Paris\"}"));
        ParsedAssistantMessage parsed = new ParsedAssistantMessage("", weather,
                List.of(new InvalidToolCall(1, "{\"name\": \"get_weather\", \"arguments\": {", "unterminated JSON")), false);
        ToolCallScorer.ExampleScore score = ToolCallScorer.score(weather, parsed, TOOLS);
        assertFalse(score.exactMatch());
        assertEquals(2, score.predictedCalls());
        assertEquals(1, score.validJsonCalls());
        assertEquals(1, score.matchedCalls());
        assertEquals("1 malformed call block(s)", score.mismatch());
    }

    static JsonNode json(String text) {
        try {
            return ChatJson.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
