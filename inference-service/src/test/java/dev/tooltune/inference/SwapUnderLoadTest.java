package dev.tooltune.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.contracts.adapters.Adapter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Several clients send requests continuously for one adapter name while its versions are published, replaced and
 * deleted. Every request must succeed (0 failures), and every answer must come from a version that was the name's
 * current one at some moment while the request ran, with exactly the greedy output of that version (0 wrong).
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTopicResource.class, restrictToAnnotatedClass = false)
class SwapUnderLoadTest {
    private static final int CLIENTS = 4;
    private static final int VERSIONS = 5;
    private static final String PROMPT = "Tell me about the weather.";

    @TestHTTPResource("/")
    URL url;

    /** When the test saw a version become the name's current one, and when it saw the next one take over. */
    record Window(long from, long until) {}

    @Test
    void adaptersSwappedUnderLoadFailNoRequestAndServeNoWrongVersion() throws Exception {
        String base = url.toString();
        ServiceClients.awaitReady(base);
        String tenant = "swap-" + System.nanoTime();
        String name = "agent";
        Map<String, String> expected = new ConcurrentHashMap<>();
        Map<String, Window> windows = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        record Served(String adapterId, String content, long start, long end) {}
        ConcurrentLinkedQueue<Served> served = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);

        try (AdapterPublisher publisher = new AdapterPublisher()) {
            Adapter current = publisher.publish(tenant, name, 1, 101);
            ServiceClients.awaitModel(base, current.adapterId(), true);
            expected.put(current.adapterId(), greedy(base, current.adapterId()));
            windows.put(current.adapterId(), new Window(System.nanoTime(), Long.MAX_VALUE));

            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                loops.add(clients.submit(() -> {
                    while (running.get()) {
                        long start = System.nanoTime();
                        try {
                            HttpResponse<String> response = request(base, tenant + "/" + name);
                            long end = System.nanoTime();
                            if (response.statusCode() != 200) {
                                failures.add(response.statusCode() + " " + response.body());
                                continue;
                            }
                            JsonNode body = ChatJson.MAPPER.readTree(response.body());
                            served.add(new Served(response.headers().firstValue("X-Tooltune-Adapter").orElse("?"),
                                    body.path("choices").path(0).path("message").path("content").asText(""), start, end));
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                    return null;
                }));
            }

            List<Adapter> versions = new ArrayList<>(List.of(current));
            for (int version = 2; version <= VERSIONS; version++) {
                Thread.sleep(1500);
                Adapter next = publisher.publish(tenant, name, version, 100 + version);
                ServiceClients.awaitModel(base, next.adapterId(), true);
                long seen = System.nanoTime();
                // The new version is current from the moment the service lists it; the old one stops being current.
                windows.put(next.adapterId(), new Window(seen, Long.MAX_VALUE));
                Window old = windows.get(current.adapterId());
                windows.put(current.adapterId(), new Window(old.from(), seen));
                expected.put(next.adapterId(), greedy(base, next.adapterId()));
                if (version % 2 == 1) {
                    // Every other swap also deletes the replaced version (tombstone, artifact removed).
                    publisher.delete(current);
                }
                versions.add(next);
                current = next;
            }
            Thread.sleep(1500);
            running.set(false);
            for (Future<?> loop : loops) {
                loop.get();
            }
            clients.shutdown();
        }

        for (Served answer : served) {
            Window window = windows.get(answer.adapterId());
            if (window == null) {
                wrong.add("served by unknown " + answer.adapterId());
                continue;
            }
            // Current at some moment while the request ran: it became current before the response and was
            // replaced after the request started (the registry is updated before /v1/models lists the new one).
            boolean inWindow = window.from() <= answer.end() && answer.start() <= window.until();
            if (!inWindow) {
                wrong.add(answer.adapterId() + " served outside its window");
            } else if (!answer.content().equals(expected.get(answer.adapterId()))) {
                wrong.add(answer.adapterId() + " answered '" + answer.content() + "', its greedy output is '"
                        + expected.get(answer.adapterId()) + "'");
            }
        }
        long distinct = expected.values().stream().distinct().count();
        System.out.printf("swap under load: %d requests, %d failures, %d wrong versions, %d versions (%d distinct outputs)%n",
                served.size() + failures.size(), failures.size(), wrong.size(), expected.size(), distinct);
        assertEquals(List.of(), List.copyOf(failures), "failed requests");
        assertEquals(List.of(), List.copyOf(wrong), "requests served by a wrong version");
        assertTrue(served.size() >= 20, "only " + served.size() + " requests were served");
        assertTrue(distinct >= VERSIONS - 1, "the versions' greedy outputs must differ to tell them apart: " + expected);
        assertTrue(served.stream().map(Served::adapterId).distinct().count() >= 3, "requests saw several versions");
    }

    private static HttpResponse<String> request(String base, String model) throws Exception {
        return ServiceClients.post(base, "/v1/chat/completions",
                "{\"model\": \"" + model + "\", \"temperature\": 0, \"max_tokens\": 8, "
                        + "\"messages\": [{\"role\": \"user\", \"content\": \"" + PROMPT + "\"}]}",
                Map.of("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN));
    }

    private static String greedy(String base, String adapterId) throws Exception {
        HttpResponse<String> response = request(base, adapterId);
        assertEquals(200, response.statusCode(), response.body());
        return ChatJson.MAPPER.readTree(response.body()).path("choices").path(0).path("message").path("content").asText("");
    }
}
