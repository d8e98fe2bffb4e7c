package dev.tooltune.chat.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GemmaChatFormatTest {

    static GemmaTokenizer tokenizer;
    final GemmaChatFormat format = new GemmaChatFormat();

    @BeforeAll
    static void load() {
        tokenizer = GemmaTokenizer.loadDefault();
    }

    static ToolDefinition weatherTool() throws Exception {
        JsonNode parameters = ChatJson.MAPPER.readTree("{\"type\": \"object\", \"properties\": {\"city\": {\"type\":"
                + " \"string\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}},"
                + " \"required\": [\"city\"]}");
        return ToolDefinition.function("get_weather", "Current weather in a city.", parameters);
    }

    static ChatExample weatherConversation() throws Exception {
        return new ChatExample(List.of(
                ChatMessage.system("You are a helpful assistant."),
                ChatMessage.user("  Weather in Paris and Berlin?  "),
                ChatMessage.assistantCalls(List.of(
                        ToolCall.of("call_1", "get_weather", "{\"city\":\"Paris\",   \"unit\":\"celsius\"}"),
                        ToolCall.of("call_2", "get_weather", "{\"city\": \"Berlin\"}"))),
                ChatMessage.toolResult("call_1", "{\"temp\": 21}"),
                ChatMessage.toolResult("call_2", "sunny, 25 C"),
                ChatMessage.assistant("Paris: 21 C. Berlin: sunny, 25 C.")),
                List.of(weatherTool()), null);
    }

    @Test
    void rendersTheDocumentedTurnFormat() throws Exception {
        String expected = "<bos><start_of_turn>user\n"
                + "You are a helpful assistant.\n\n"
                + format.toolsDeclaration(List.of(weatherTool()), null) + "\n\n"
                + "Weather in Paris and Berlin?<end_of_turn>\n"
                + "<start_of_turn>model\n"
                + "```tool_call\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n```\n"
                + "```tool_call\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Berlin\"}}\n```<end_of_turn>\n"
                + "<start_of_turn>user\n"
                + "```tool_response\n{\"name\": \"get_weather\", \"content\": {\"temp\": 21}}\n```\n"
                + "```tool_response\n{\"name\": \"get_weather\", \"content\": \"sunny, 25 C\"}\n```<end_of_turn>\n"
                + "<start_of_turn>model\n"
                + "Paris: 21 C. Berlin: sunny, 25 C.<end_of_turn>\n";
        assertEquals(expected, format.render(weatherConversation()));
    }

    @Test
    void theDocumentedExampleIsWhatTheCodeRenders() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "tool-calling-format.md"));
        Matcher input = Pattern.compile("```json\n(.*?)\n```", Pattern.DOTALL)
                .matcher(doc);
        Matcher output = Pattern.compile("````text\n(.*?)\n````", Pattern.DOTALL)
                .matcher(doc);
        assertTrue(input.find() && output.find(), "docs/tool-calling-format.md has its example");
        ChatExample example = ChatJson.MAPPER.readValue(input.group(1), ChatExample.class);
        assertEquals(output.group(1) + "\n", format.render(example));
    }

    @Test
    void declaresToolsAsOneSchemaPerLine() throws Exception {
        String declaration = format.toolsDeclaration(List.of(weatherTool()), null);
        assertTrue(declaration.contains("```tools\n{\"name\": \"get_weather\", \"description\": \"Current weather in a"
                + " city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"},"
                + " \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\":"
                + " [\"city\"]}}\n```\n"), declaration);
        assertTrue(format.toolsDeclaration(List.of(weatherTool()), false).contains("at most one tool"));
        assertEquals("", format.toolsDeclaration(List.of(), null));
    }

    @Test
    void promptEndsWithTheOpenModelTurn() throws Exception {
        List<ChatMessage> messages = weatherConversation().messages().subList(0, 2);
        String prompt = format.renderPrompt(messages, List.of(weatherTool()));
        assertTrue(prompt.endsWith("Weather in Paris and Berlin?<end_of_turn>\n<start_of_turn>model\n"), prompt);
        assertArrayEquals(tokenizer.encode(prompt), format.tokenizePrompt(messages, List.of(weatherTool()), tokenizer));
    }

    @Test
    void withoutSystemOrToolsTheFirstTurnIsTheUsersText() {
        String rendered = format.render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!")), List.of());
        assertEquals("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n", rendered);
    }

    @Test
    void systemAloneStillOpensAUserTurn() {
        assertEquals("<bos><start_of_turn>user\nBe brief.<end_of_turn>\n<start_of_turn>model\n",
                format.renderPrompt(List.of(ChatMessage.system("Be brief.")), List.of()));
    }

    @Test
    void contentAndCallsShareTheModelTurn() {
        ChatMessage message = new ChatMessage(ChatMessage.ASSISTANT, "Let me check.",
                List.of(ToolCall.of("c", "ping", "")), null, null, null);
        assertEquals("Let me check.\n\n```tool_call\n{\"name\": \"ping\", \"arguments\": {}}\n```",
                format.renderAssistant(message));
    }

    @Test
    void lossWeightsCoverExactlyTheAssistantsOwnTokens() throws Exception {
        ChatExample example = weatherConversation();
        TokenizedChat tokenized = format.tokenize(example, tokenizer);

        assertArrayEquals(tokenizer.encode(format.render(example)), tokenized.tokenIds(),
                "segment-wise encoding must equal encoding the rendered text at once");
        List<String> expectedTrained = new ArrayList<>();
        for (ChatMessage message : example.messages()) {
            if (message.trained()) {
                expectedTrained.add(format.renderAssistant(message) + "<end_of_turn>");
            }
        }
        assertEquals(expectedTrained, TrainedSpans.of(tokenized, tokenizer));
        assertEquals(tokenized.tokenIds()[0], GemmaTokenizer.BOS_ID);
        assertEquals(0f, tokenized.lossWeights()[0]);
    }

    @Test
    void weightZeroMessagesAreNotTrained() throws Exception {
        ChatExample example = weatherConversation();
        List<ChatMessage> messages = new ArrayList<>(example.messages());
        ChatMessage calls = messages.get(2);
        messages.set(2, new ChatMessage(calls.role(), calls.content(), calls.toolCalls(), null, null, 0.0));
        TokenizedChat tokenized = format.tokenize(new ChatExample(messages, example.tools(), null), tokenizer);
        assertEquals(List.of("Paris: 21 C. Berlin: sunny, 25 C.<end_of_turn>"), TrainedSpans.of(tokenized, tokenizer));
    }

    @Test
    void truncationReportsWhatWasCut() throws Exception {
        ChatExample example = weatherConversation();
        TokenizedChat full = format.tokenize(example, tokenizer);
        TokenizedChat cut = format.tokenize(example, tokenizer, full.length() - 5);
        assertEquals(full.length() - 5, cut.length());
        assertEquals(5, cut.truncatedTokens());
        assertEquals(full.length(), cut.originalLength());
        // The last five tokens are the end of the final answer, "<end_of_turn>" and the newline after it.
        assertEquals(4, cut.truncatedTrainedTokens());
        assertArrayEquals(java.util.Arrays.copyOf(full.tokenIds(), cut.length()), cut.tokenIds());
        assertEquals(full.length(), format.tokenize(example, tokenizer, 100_000).length());
    }

    @Test
    void badInputSaysWhere() {
        ChatFormatException arguments = assertThrows(ChatFormatException.class, () -> format.render(List.of(
                ChatMessage.user("x"),
                ChatMessage.assistantCalls(List.of(ToolCall.of("a", "f", "{not json"))))
                , List.of()));
        assertTrue(arguments.getMessage().startsWith("messages[1].tool_calls[0].function.arguments not valid JSON"),
                arguments.getMessage());
        ChatFormatException role = assertThrows(ChatFormatException.class, () -> format.render(List.of(
                new ChatMessage("robot", "x", null, null, null, null)), List.of()));
        assertTrue(role.getMessage().contains("messages[0].role is \"robot\""), role.getMessage());
    }
}
