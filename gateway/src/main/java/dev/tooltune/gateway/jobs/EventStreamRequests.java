package dev.tooltune.gateway.jobs;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A job's events come as a page of JSON or as a Server-Sent Events stream, two methods of
 * {@link FineTuningJobsResource} told apart by {@code Accept}. OpenAI's clients ask for the stream with
 * {@code stream=true} (and any {@code Accept}), so before matching, such a request is made to accept only
 * {@code text/event-stream}, and any other only JSON: the stream when {@code stream=true}, or when the client accepts
 * the stream but not JSON.
 */
public class EventStreamRequests {
    private static final Pattern EVENTS = Pattern.compile("/v1/fine_tuning/jobs/[^/]+/events/?");

    @ServerRequestFilter(preMatching = true)
    void chooseRepresentation(ContainerRequestContext request) {
        if (!HttpMethod.GET.equals(request.getMethod())
                || !EVENTS.matcher(request.getUriInfo().getPath()).matches()) {
            return;
        }
        String accept = request.getHeaderString(HttpHeaders.ACCEPT);
        boolean stream = "true".equalsIgnoreCase(request.getUriInfo().getQueryParameters().getFirst("stream"))
                || (accept != null && accept.contains(MediaType.SERVER_SENT_EVENTS)
                && !accept.contains(MediaType.APPLICATION_JSON));
        request.getHeaders().putSingle(HttpHeaders.ACCEPT,
                stream ? MediaType.SERVER_SENT_EVENTS : MediaType.APPLICATION_JSON);
    }
}
