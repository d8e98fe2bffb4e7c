package dev.tooltune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A small real HTTP upstream in inference-service's place (it lands after the gateway): it records what the gateway
 * forwarded and answers like an OpenAI server. A streamed answer sends its first chunk, then waits until the test
 * has received that chunk ({@link #releaseStream()}) before sending the rest: a gateway that gathered the stream
 * would never deliver the first chunk, and the wait would end by timeout ({@link #streamTimedOut}).
 */
public final class FakeInference {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    public volatile JsonNode lastBody;
    public volatile String lastTenant;
    public volatile String lastToken;
    public volatile boolean streamTimedOut;
    /** Adapter ids it serves (listed by /v1/models), and those it lost (a chat with one answers 404). */
    public final java.util.Set<String> servedAdapters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    public final java.util.Set<String> lostAdapters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Where a served adapter is loaded ({@code tooltune.loaded} of its /v1/models entry); unlisted ones say nothing. */
    public final java.util.Map<String, String> adapterLoaded = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile CountDownLatch streamGate = new CountDownLatch(1);
    /** The next streamed answer stops after its first chunk as a killed process would: the connection just drops. */
    public volatile boolean dieMidStream;
    /** The next chat is refused as a busy inference-service refuses one: 429 with Retry-After. */
    public volatile boolean busyOnce;

    public FakeInference() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/chat/completions", this::chat);
        server.createContext("/v1/models", exchange -> {
            StringBuilder data = new StringBuilder("{\"id\":\"tooltune/gemma-3-tiny-random\",\"object\":\"model\","
                    + "\"created\":1764000000,\"owned_by\":\"tooltune\",\"tooltune\":{\"loaded\":\"device\"}}");
            for (String adapter : servedAdapters) {
                String loaded = adapterLoaded.get(adapter);
                data.append(",{\"id\":\"").append(adapter).append("\",\"object\":\"model\",\"created\":1764000000")
                        .append(loaded == null ? "" : ",\"tooltune\":{\"loaded\":\"" + loaded + "\"}").append('}');
            }
            respond(exchange, 200, "application/json", "{\"object\":\"list\",\"data\":[" + data + "]}");
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void stop() {
        server.stop(0);
    }

    /** Lets the streamed answer in progress go on after its first chunk. */
    public void releaseStream() {
        streamGate.countDown();
    }

    private void chat(HttpExchange exchange) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        lastBody = body;
        lastTenant = exchange.getRequestHeaders().getFirst("X-Tooltune-Tenant");
        lastToken = exchange.getRequestHeaders().getFirst("X-Tooltune-Internal-Token");
        String model = body.path("model").asText();
        if (lostAdapters.contains(model)) {
            respond(exchange, 404, "application/json", "{\"error\":{\"message\":\"The model `" + model + "` does not "
                    + "exist or you do not have access to it.\",\"type\":\"invalid_request_error\",\"param\":"
                    + "\"model\",\"code\":\"model_not_found\"}}");
            return;
        }
        if (busyOnce) {
            busyOnce = false;
            exchange.getResponseHeaders().add("Retry-After", "7");
            respond(exchange, 429, "application/json", "{\"error\":{\"message\":\"The server is busy; retry after 7 s.\","
                    + "\"type\":\"rate_limit_exceeded\",\"param\":null,\"code\":\"queue_full\"}}");
            return;
        }
        if (!body.path("stream").asBoolean(false)) {
            respond(exchange, 200, "application/json", completion(model));
            return;
        }
        streamGate = new CountDownLatch(1);
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(("data: " + chunk(model, "{\"role\":\"assistant\",\"content\":\"Hel\"}", null) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (dieMidStream) {
                dieMidStream = false;
                // An exception out of the handler makes the JDK server close the connection without the last chunk.
                throw new IllegalStateException("killed mid-stream (test)");
            }
            try {
                streamTimedOut = !streamGate.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write(("data: " + chunk(model, "{\"content\":\"lo\"}", "\"stop\"") + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String completion(String model) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764000000,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
                + "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
                + "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Vienna\\\"}\"}}]}}],"
                + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}";
    }

    private static String chunk(String model, String delta, String finish) {
        return "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]}";
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
