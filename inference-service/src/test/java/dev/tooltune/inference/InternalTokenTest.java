package dev.tooltune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Only internal callers reach {@code /v1/*}: the shared token in X-Tooltune-Internal-Token, checked by Quarkus
 * Security's HTTP permission (internal-auth) in front of the Vert.x routes. Catches an operation left open, a wrong
 * token let through, a refusal in another shape than OpenAI's 401, and a check that runs only after the body was read.
 */
@QuarkusTest
class InternalTokenTest {
    private static final String HEADER = "X-Tooltune-Internal-Token";
    private static final String CHAT = "{\"model\": \"" + TestBaseModel.ID + "\", \"max_tokens\": 2, "
            + "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";

    @TestHTTPResource("/")
    URL url;

    private String base;

    @BeforeEach
    void ready() throws Exception {
        base = url.toString();
        ServiceClients.awaitReady(base);
    }

    @Test
    void everyOperationRefusesAMissingOrWrongTokenWithOpenAisError() throws Exception {
        String right = KafkaTopicResource.INTERNAL_TOKEN;
        for (String token : new String[] {null, "", "guess", right + "x", right.substring(1)}) {
            Map<String, String> headers = new HashMap<>();
            if (token != null) {
                headers.put(HEADER, token);
            }
            String what = "token " + token;
            assertRefused(ServiceClients.post(base, "/v1/chat/completions", CHAT, headers), what);
            assertRefused(ServiceClients.get(base, "/v1/models", headers), what);
            assertRefused(ServiceClients.get(base, "/v1/models/" + TestBaseModel.ID, headers), what);
            assertRefused(ServiceClients.get(base, "/v1/no-such-thing", headers), what);
            // the token is checked before the tenant: a caller without it learns nothing
            headers.put("X-Tooltune-Tenant", "not/a/tenant");
            assertRefused(ServiceClients.get(base, "/v1/models", headers), what + " and a malformed tenant");
        }
        Map<String, String> auth = Map.of(HEADER, right);
        HttpResponse<String> models = ServiceClients.get(base, "/v1/models", auth);
        assertEquals(200, models.statusCode(), models.body());
        HttpResponse<String> chat = ServiceClients.post(base, "/v1/chat/completions", CHAT, auth);
        assertEquals(200, chat.statusCode(), chat.body());
        // probes stay open whatever a caller sends
        assertEquals(200, ServiceClients.get(base, "/q/health/live", Map.of(HEADER, "stale")).statusCode());
    }

    /**
     * A chat request announcing 64 MiB (over the 32 MiB body limit) without the token is answered 401 from its headers
     * alone: were the token checked after the body handler, the answer would be 413, or come only after the upload.
     */
    @Test
    void aCallerWithoutTheTokenIsRefusedBeforeTheBodyIsRead() throws Exception {
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + (64L << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertTrue(status != null && status.contains(" 401 "), "answer before any body byte: " + status);
        }
    }

    private static void assertRefused(HttpResponse<String> response, String what) throws Exception {
        assertEquals(401, response.statusCode(), what + ": " + response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), what);
        JsonNode error = ChatJson.MAPPER.readTree(response.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText(), response.body());
        assertEquals("invalid_api_key", error.path("code").asText(), response.body());
        assertTrue(error.path("message").asText().contains(HEADER), response.body());
    }
}
