package dev.tooltune.dataset.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An error response as RFC 7807 / RFC 9457 problem details ({@code application/problem+json}): {@code type},
 * {@code title}, {@code status}, {@code detail}, {@code code} where a client should act on the kind of error (e.g.
 * {@code database_unavailable}: retry), and {@code errors} where there are several (e.g. an example's problems, each
 * with its JSON path). {@code error} repeats status, detail, code and errors in the shape this service answered
 * before ({@code {"error":{"status","message","details"}}}), so that existing clients keep working.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String code, List<?> errors, Legacy error) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Legacy(int status, String message, String code, List<?> details) {}
}
