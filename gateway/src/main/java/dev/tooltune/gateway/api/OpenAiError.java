package dev.tooltune.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** OpenAI's error body. {@code param} and {@code code} are written as null when absent, as OpenAI does. */
public record OpenAiError(Detail error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, String code) {
    }

    public static OpenAiError of(String message, String type, String code) {
        return new OpenAiError(new Detail(message, type, null, code));
    }
}
