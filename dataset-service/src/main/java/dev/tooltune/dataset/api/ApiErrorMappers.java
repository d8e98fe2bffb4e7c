package dev.tooltune.dataset.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps failures to {@link ApiError} bodies, so every client sees one error shape. */
public class ApiErrorMappers {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return respond(e.status(), e.getMessage(), e.details());
    }

    @ServerExceptionMapper
    public Response invalidArgument(IllegalArgumentException e) {
        return respond(400, e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response constraint(ConstraintViolationException e) {
        List<String> details = e.getConstraintViolations().stream()
                .map(v -> v.getPropertyPath() + ": " + v.getMessage())
                .sorted()
                .toList();
        return respond(400, "invalid request", details);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return respond(400, "request body is not valid JSON: " + e.getOriginalMessage(), null);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = e.getMessage() == null ? Response.Status.fromStatusCode(status).getReasonPhrase() : e.getMessage();
        return respond(status, message, null);
    }

    private static Response respond(int status, String message, List<?> details) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(ApiError.of(status, message, details)).build();
    }
}
