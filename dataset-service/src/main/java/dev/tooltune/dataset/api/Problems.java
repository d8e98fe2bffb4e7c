package dev.tooltune.dataset.api;

import jakarta.ws.rs.core.Response;
import java.util.List;

/** Builds {@link Problem} responses. */
public final class Problems {
    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {}

    public static Problem of(int status, String detail, List<?> errors) {
        return of(status, null, detail, errors);
    }

    /** {@code code} is null where the status says enough. */
    public static Problem of(int status, String code, String detail, List<?> errors) {
        Response.Status known = Response.Status.fromStatusCode(status);
        String title = known == null ? "HTTP " + status : known.getReasonPhrase();
        List<?> nonEmpty = errors == null || errors.isEmpty() ? null : errors;
        return new Problem("about:blank", title, status, detail, code, nonEmpty,
                new Problem.Legacy(status, detail, code, nonEmpty));
    }

    public static Response response(int status, String detail, List<?> errors) {
        return response(status, null, detail, errors);
    }

    public static Response response(int status, String code, String detail, List<?> errors) {
        return Response.status(status).type(MEDIA_TYPE).entity(of(status, code, detail, errors)).build();
    }
}
