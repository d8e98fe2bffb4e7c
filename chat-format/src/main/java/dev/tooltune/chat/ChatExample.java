package dev.tooltune.chat;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One training conversation in OpenAI's chat fine-tuning format: the messages, and the tools the
 * assistant could call while producing them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatExample(
        List<ChatMessage> messages,
        List<ToolDefinition> tools,
        @JsonProperty("parallel_tool_calls") Boolean parallelToolCalls) {

    public ChatExample {
        messages = messages == null ? List.of() : List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
    }
}
