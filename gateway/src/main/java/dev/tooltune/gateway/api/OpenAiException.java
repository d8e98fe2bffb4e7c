package dev.tooltune.gateway.api;

/**
 * An error answered in OpenAI's shape, {@code {"error":{"message","type","param","code"}}}, with its HTTP status.
 * Thrown anywhere below a resource; {@link ErrorMappers} writes it.
 */
public class OpenAiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiException(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static OpenAiException invalidRequest(String param, String code, String message) {
        return new OpenAiException(400, "invalid_request_error", code, param, message);
    }

    /** The answer for anything missing or belonging to another tenant: the two must look the same. */
    public static OpenAiException notFound(String param, String message) {
        return new OpenAiException(404, "invalid_request_error", "not_found", param, message);
    }

    public static OpenAiException upstream(String what, String detail) {
        return new OpenAiException(502, "api_error", "upstream_error", null, what + " failed: " + detail);
    }

    public int status() {
        return status;
    }

    public OpenAiError body() {
        return new OpenAiError(new OpenAiError.Detail(getMessage(), type, param, code));
    }
}
