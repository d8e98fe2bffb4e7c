package dev.tooltune.dataset.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.contracts.database.DatabaseUnavailable;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps failures to {@link Problem} details, so every client sees one error shape and never a stack trace. */
public class ApiErrorMappers {
    private static final Logger LOG = Logger.getLogger(ApiErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return Problems.response(e.status(), e.getMessage(), e.details());
    }

    @ServerExceptionMapper
    public Response invalidArgument(IllegalArgumentException e) {
        return Problems.response(400, e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response constraint(ConstraintViolationException e) {
        List<String> details = e.getConstraintViolations().stream()
                .map(v -> v.getPropertyPath() + ": " + v.getMessage())
                .sorted()
                .toList();
        return Problems.response(400, "invalid request", details);
    }

    /** Only Jackson's own description, never its location text (which may quote the input). */
    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        String location = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        return Problems.response(400, "request body is not valid JSON" + location, null);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = e.getMessage() == null ? Response.Status.fromStatusCode(status).getReasonPhrase() : e.getMessage();
        return Problems.response(status, message, null);
    }

    /**
     * Anything unforeseen: logged with its stack trace here, answered without internals. A database that cannot be
     * reached is no bug of ours: 503 with code {@value DatabaseUnavailable#CODE} and Retry-After, as the gateway does.
     */
    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 1000)
    public Response unexpected(Throwable e) {
        Optional<String> database = DatabaseUnavailable.cause(e);
        if (database.isPresent()) {
            LOG.warnf("the database is unavailable: %s", database.get());
            return Response.fromResponse(Problems.response(503, DatabaseUnavailable.CODE, "the database of "
                    + "dataset-service is unavailable right now; the request was not completed. Retry in a few seconds",
                    null)).header("Retry-After", DatabaseUnavailable.RETRY_AFTER_SECONDS).build();
        }
        LOG.error("request failed", e);
        return Problems.response(500, "internal error; the service log has the details", null);
    }
}
