package dev.tooltune.dataset.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The body of every error response: {@code {"error": {"status", "message", "details"}}}. */
public record ApiError(Body error) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Body(int status, String message, List<?> details) {}

    public static ApiError of(int status, String message, List<?> details) {
        return new ApiError(new Body(status, message, details));
    }
}
