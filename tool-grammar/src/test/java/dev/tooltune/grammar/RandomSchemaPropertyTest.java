package dev.tooltune.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.CanonicalJson;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.chat.toolcall.ToolCallSyntax;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random schemas over the enforced keywords ({@code -DargLine=-Dgrammar.schemas=N}, default 300 per test; 1,800 argument strings):
 * sampled outputs always validate, and for generated valid and invalid arguments the mask accepts the tokens exactly
 * when the validator accepts the JSON.
 */
class RandomSchemaPropertyTest {
    private static final int SCHEMAS = Integer.getInteger("grammar.schemas", 300);
    private final ToolCallParser parser = new ToolCallParser();

    @Test
    void sampledCallsAlwaysValidate() {
        ConstrainedDecoding decoding = Fixtures.decoding();
        Random random = new Random(Fixtures.seed());
        RandomSchemas schemas = new RandomSchemas(random);
        int finished = 0;
        for (int i = 0; i < SCHEMAS; i++) {
            ObjectNode schema = schemas.toolSchema();
            List<ToolDefinition> tools = List.of(ToolDefinition.function("tool_" + i, "random", schema));
            GrammarConstraint constraint = (GrammarConstraint) decoding.forTools(tools, ToolChoice.REQUIRED, false).orElseThrow();
            // A budget between the call's shortest completion and a generous one; uniform tokens every other time.
            int budget = constraint.shortestCompletion() + 1 + random.nextInt(i % 3 == 0 ? 8 : 400);
            Fixtures.Sample sample = Fixtures.sample(constraint, random, budget, i % 2 == 0);
            assertTrue(sample.finished(), () -> "unfinished within " + budget + " tokens: schema " + schema
                    + "\noutput " + sample.text());
            finished++;
            ParsedAssistantMessage message = parser.parse(sample.text());
            String where = "schema " + schema + "\noutput " + sample.text();
            assertEquals(1, message.toolCalls().size(), where);
            assertEquals(List.of(), decoding.check().toolCalls(message, tools, ToolChoice.REQUIRED, false), where);
        }
        System.out.printf("random schemas: all %d sampled calls finished within their budgets%n", finished);
    }

    @Test
    void maskAcceptsExactlyWhatTheValidatorAccepts() throws Exception {
        ConstrainedDecoding decoding = Fixtures.decoding();
        GemmaTokenizer tokenizer = Fixtures.tokenizer();
        Random random = new Random(Fixtures.seed());
        RandomSchemas schemas = new RandomSchemas(random);
        int valid = 0;
        int invalid = 0;
        for (int i = 0; i < SCHEMAS; i++) {
            ObjectNode schema = schemas.toolSchema();
            List<ToolDefinition> tools = List.of(ToolDefinition.function("tool", "random", schema));
            for (int j = 0; j < 6; j++) {
                JsonNode arguments = schemas.value(schema, schema, j % 2 == 0 ? 0.0 : 0.3);
                String json = random.nextBoolean() ? CanonicalJson.write(arguments) : ChatJson.MAPPER.writeValueAsString(arguments);
                // Generation closes objects that declare properties and say nothing of others (#21 item 4).
                boolean expected = arguments.isObject()
                        && decoding.check().validate(arguments, RandomSchemas.closed(schema)).isEmpty();
                String block = ToolCallSyntax.CALL_FENCE + "\n{\"name\": \"tool\", \"arguments\": " + json + "}\n" + ToolCallSyntax.CLOSE_FENCE;
                GrammarConstraint constraint = (GrammarConstraint) decoding.forTools(tools, ToolChoice.REQUIRED, false).orElseThrow();
                boolean accepted = true;
                for (int token : tokenizer.encode(block)) {
                    if (!constraint.allows(token)) {
                        accepted = false;
                        break;
                    }
                    constraint.accept(token);
                }
                accepted = accepted && constraint.allows(GemmaTokenizer.END_OF_TURN_ID);
                assertEquals(expected, accepted, () -> "schema " + schema + "\narguments " + json + "\nvalidator: "
                        + decoding.check().validate(arguments, schema));
                if (expected) {
                    valid++;
                } else {
                    invalid++;
                }
            }
        }
        System.out.printf("soundness/completeness: %d valid and %d invalid argument strings agreed with the validator%n", valid, invalid);
        assertTrue(valid > SCHEMAS && invalid > SCHEMAS, valid + " valid, " + invalid + " invalid");
    }
}
