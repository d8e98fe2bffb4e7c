package dev.tooltune.inference.api;

/** OpenAI's tool_choice: none, auto, required, or one named function ({@code function} set). */
public record ToolChoice(Mode mode, String function) {

    public enum Mode { NONE, AUTO, REQUIRED, FUNCTION }

    public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);
}
