package dev.tooltune.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.tooltune.contracts.database.DatabaseUnavailable;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error the gateway answers has OpenAI's shape, whatever threw it. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    public static Response response(int status, OpenAiError body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }

    @ServerExceptionMapper
    public Response openAi(OpenAiException e) {
        return response(e.status(), e.body());
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ")";
        String field = e instanceof MismatchedInputException m && !m.getPath().isEmpty()
                ? m.getPath().get(m.getPath().size() - 1).getFieldName() : null;
        return response(400, new OpenAiError(new OpenAiError.Detail(
                "We could not parse the JSON body of your request: " + e.getOriginalMessage() + where,
                "invalid_request_error", field, "invalid_json")));
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return response(404, OpenAiError.of("Unknown request URL. Please check the URL and method.",
                "invalid_request_error", "unknown_url"));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return response(405, OpenAiError.of("Method not allowed for this URL.", "invalid_request_error",
                "method_not_allowed"));
    }

    @ServerExceptionMapper
    public Response unsupported(NotSupportedException e) {
        return response(415, OpenAiError.of("Unsupported Content-Type: " + e.getMessage(), "invalid_request_error",
                "unsupported_media_type"));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return json(json);
        }
        int status = e.getResponse().getStatus();
        return response(status, OpenAiError.of(e.getMessage(), status >= 500 ? "api_error" : "invalid_request_error",
                null));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        Optional<String> database = DatabaseUnavailable.cause(e);
        if (database.isPresent()) {
            LOG.warnf("the database is unavailable: %s", database.get());
            // The cause (host, port) stays in the log: it is no business of an API client.
            return Response.fromResponse(response(503, OpenAiError.of("The gateway's database is unavailable right "
                    + "now; your request was not completed. Retry in a few seconds.", "api_error",
                    DatabaseUnavailable.CODE))).header("Retry-After", DatabaseUnavailable.RETRY_AFTER_SECONDS).build();
        }
        LOG.error("unexpected error", e);
        return response(500, OpenAiError.of("The server had an error while processing your request.", "api_error",
                "internal_error"));
    }
}
