package dev.tooltune.dataset.api;

import jakarta.ws.rs.core.Response;
import java.util.List;

/** A request that cannot be served, with the HTTP status and a message saying why; {@code details} is optional. */
public class ApiException extends RuntimeException {
    private final int status;
    private final transient List<?> details;

    public ApiException(Response.Status status, String message) {
        this(status.getStatusCode(), message, null);
    }

    public ApiException(int status, String message, List<?> details) {
        super(message);
        this.status = status;
        this.details = details;
    }

    public static ApiException notFound(String message) {
        return new ApiException(Response.Status.NOT_FOUND, message);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(Response.Status.BAD_REQUEST, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(Response.Status.CONFLICT, message);
    }

    public int status() {
        return status;
    }

    public List<?> details() {
        return details;
    }
}
