package dev.tooltune.grammar;

import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI's {@code tool_choice}: {@code auto}, {@code none}, {@code required}, or one named function. */
public sealed interface ToolChoice {
    /** Plain text or calls. */
    record Auto() implements ToolChoice {}

    /** No calls: generation is not constrained. */
    record None() implements ToolChoice {}

    /** At least one call, no text. */
    record Required() implements ToolChoice {}

    /** Exactly one call, of this function. */
    record Named(String name) implements ToolChoice {}

    ToolChoice AUTO = new Auto();
    ToolChoice NONE = new None();
    ToolChoice REQUIRED = new Required();

    static ToolChoice named(String name) {
        return new Named(name);
    }

    /**
     * Reads OpenAI's JSON form: absent/null means {@code auto}; {@code "auto"}, {@code "none"}, {@code "required"},
     * or {@code {"type": "function", "function": {"name": ...}}}.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    static ToolChoice fromOpenAi(JsonNode choice) {
        if (choice == null || choice.isNull() || choice.isMissingNode()) {
            return AUTO;
        }
        if (choice.isTextual()) {
            return switch (choice.textValue()) {
                case "auto" -> AUTO;
                case "none" -> NONE;
                case "required" -> REQUIRED;
                default -> throw new IllegalArgumentException("tool_choice: expected \"auto\", \"none\", \"required\""
                        + " or a function object, got \"" + choice.textValue() + "\"");
            };
        }
        JsonNode name = choice.path("function").path("name");
        if (!choice.isObject() || !name.isTextual() || name.textValue().isEmpty()) {
            throw new IllegalArgumentException("tool_choice: a function choice is {\"type\": \"function\", \"function\":"
                    + " {\"name\": \"...\"}}, got " + choice);
        }
        return named(name.textValue());
    }
}
