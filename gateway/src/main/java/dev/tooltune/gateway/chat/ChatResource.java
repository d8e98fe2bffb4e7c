package dev.tooltune.gateway.chat;

import io.quarkus.security.Authenticated;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.gateway.api.OpenAiError;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.models.ModelNames;
import dev.tooltune.gateway.tenancy.Caller;
import dev.tooltune.gateway.upstream.InferenceServiceApi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * Chat completions, routed to inference-service: {@code model} becomes what inference-service serves (a base
 * model, or the adapterId of the caller's fine-tuned model), the tenant and the internal token are added, and the
 * answer comes back as it is produced. A stream is relayed event by event (each {@code data:} line flushed as it
 * arrives, never gathered), with the adapterId in {@code model} put back to the name the caller used.
 */
@Authenticated
@Path("/v1/chat/completions")
@Tag(name = "Chat", description = "Chat completions with tools (OpenAI-compatible)")
public class ChatResource {
    private static final Logger LOG = Logger.getLogger(ChatResource.class);
    @Inject
    Caller caller;
    @Inject
    @RestClient
    InferenceServiceApi inference;
    @Inject
    ModelNames names;
    @Inject
    ObjectMapper json;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS})
    @Operation(summary = "Create a chat completion (stream=true for Server-Sent Events)")
    public Response complete(JsonNode request) {
        if (request == null || !request.isObject()) {
            throw OpenAiException.invalidRequest(null, "invalid_request", "The body must be a JSON object.");
        }
        JsonNode modelNode = request.get("model");
        if (modelNode == null || !modelNode.isTextual() || modelNode.asText().isBlank()) {
            throw OpenAiException.invalidRequest("model", "missing_required_parameter",
                    "you must provide a model parameter");
        }
        String tenant = caller.tenantId();
        String publicName = modelNode.asText();
        String served = names.resolve(tenant, publicName);
        ObjectNode forwarded = ((ObjectNode) request).deepCopy();
        forwarded.put("model", served);

        Response upstream = send(tenant, forwarded);
        String contentType = upstream.getHeaderString("Content-Type") == null ? MediaType.APPLICATION_JSON
                : upstream.getHeaderString("Content-Type");
        InputStream upstreamBody = upstream.readEntity(InputStream.class);
        StreamingOutput body;
        if (contentType.startsWith(MediaType.SERVER_SENT_EVENTS)) {
            body = output -> relayEvents(upstreamBody, output, served, publicName);
        } else if (contentType.startsWith(MediaType.APPLICATION_JSON) && upstream.getStatus() == 200) {
            body = output -> {
                try (InputStream in = upstreamBody) {
                    JsonNode answer = json.readTree(in);
                    output.write(json.writeValueAsBytes(renamed(answer, served, publicName)));
                }
            };
        } else if (!served.equals(publicName)) {
            // An error names the model as inference-service knows it (an internal adapterId): the caller sees the
            // name it used.
            body = output -> {
                try (InputStream in = upstreamBody) {
                    String text = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
                    output.write(text.replace(served, publicName).getBytes(StandardCharsets.UTF_8));
                }
            };
        } else {
            body = output -> {
                try (InputStream in = upstreamBody) {
                    in.transferTo(output);
                }
            };
        }
        Response.ResponseBuilder response = Response.status(upstream.getStatus()).entity(body).type(contentType);
        String retryAfter = upstream.getHeaderString("Retry-After"); // a busy inference-service's 429 says when
        if (retryAfter != null) {
            response.header("Retry-After", retryAfter);
        }
        if (contentType.startsWith(MediaType.SERVER_SENT_EVENTS)) {
            response.header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no");
        }
        return response.build();
    }

    /** The upstream's answer, whatever its status; its body is read as it arrives. Never retried. */
    private Response send(String tenant, JsonNode forwarded) {
        try {
            return inference.chatCompletion(tenant, forwarded.toString());
        } catch (ProcessingException e) {
            throw OpenAiException.upstream("inference-service chat completion", e.toString());
        }
    }

    /**
     * Copies Server-Sent Events line by line, flushing at the end of each event. A stream the upstream breaks off (its
     * process killed, the connection dropped) ends with an error event, as OpenAI's streams report errors, so the
     * client learns why instead of seeing a cut connection.
     */
    private void relayEvents(InputStream upstream, OutputStream output, String served, String publicName)
            throws IOException {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(upstream, StandardCharsets.UTF_8))) {
            boolean ended = false;
            while (true) {
                String line;
                try {
                    line = lines.readLine();
                } catch (IOException e) {
                    writeBrokenOff(output, e.toString());
                    return;
                }
                if (line == null) {
                    break;
                }
                if (line.startsWith("data:")) {
                    String data = line.substring(5).trim();
                    ended |= data.equals("[DONE]") || data.startsWith("{\"error\"");
                    if (data.startsWith("{") && !served.equals(publicName)) {
                        line = "data: " + json.writeValueAsString(renamed(json.readTree(data), served, publicName));
                    }
                }
                output.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                if (line.isEmpty()) {
                    output.flush();
                }
            }
            if (!ended) {
                writeBrokenOff(output, "the stream ended without [DONE]");
            }
            output.flush();
        }
    }

    private void writeBrokenOff(OutputStream output, String why) throws IOException {
        OpenAiError error = OpenAiException.upstream("inference-service chat completion stream",
                "the stream broke off (" + why + "); the answer is incomplete, retry the request").body();
        output.write(("\ndata: " + json.writeValueAsString(error) + "\n\n").getBytes(StandardCharsets.UTF_8));
        output.flush();
        LOG.warnf("a chat stream broke off upstream: %s", why);
    }

    private static JsonNode renamed(JsonNode answer, String served, String publicName) {
        if (answer instanceof ObjectNode object && served.equals(object.path("model").asText(null))) {
            object.put("model", publicName);
        }
        return answer;
    }
}
