package dev.tooltune.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.contracts.adapters.Adapter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The benchmark behind {@code bench/inference.sh} (not a test: it only runs with {@code -Dtooltune.bench=true}).
 * Drives the running service through HTTP with streaming requests from 1, 4 and 16 clients, for one adapter and for
 * four, with and without tools, then measures client latency while an adapter name is swapped. Appends markdown
 * table rows to {@code tooltune.bench.out}.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTopicResource.class, restrictToAnnotatedClass = false)
@EnabledIfSystemProperty(named = "tooltune.bench", matches = "true")
class InferenceBench {

    @TestHTTPResource("/")
    URL url;

    record Sample(long latencyNanos, long ttftNanos, int completionTokens, long start, long end, boolean failed) {}

    @Test
    void bench() throws Exception {
        String base = url.toString();
        ServiceClients.awaitReady(base);
        String modelId = ConfigProvider.getConfig().getValue("tooltune.inference.model.id", String.class);
        String label = System.getProperty("tooltune.bench.label", modelId);
        int seconds = Integer.getInteger("tooltune.bench.seconds", 10);
        int maxTokens = Integer.getInteger("tooltune.bench.max-tokens", 16);
        List<Integer> concurrency = List.of(System.getProperty("tooltune.bench.clients", "1,4,16").split(","))
                .stream().map(Integer::parseInt).toList();
        Path out = Path.of(System.getProperty("tooltune.bench.out", "target/inference-bench.md"));
        List<String> rows = new ArrayList<>();

        try (AdapterPublisher publisher = new AdapterPublisher(modelId)) {
            String tenant = "bench-" + System.nanoTime();
            List<String> adapters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Adapter adapter = publisher.publish(tenant, "a" + i, 1, 1000 + i);
                ServiceClients.awaitModel(base, adapter.adapterId(), true);
                adapters.add(adapter.adapterId());
            }
            List<ToolDefinition> tools = SampleTools.TOOL_SETS.get("travel");
            // Warm-up: load every adapter, compile the tool schemas.
            for (String adapter : adapters) {
                run(base, List.of(adapter), tools, "required", 1, 0, maxTokens, 1);
            }
            // Without tools; with the 6 tools and tool_choice none (the prompt has them, no constraint); with the 6
            // tools and tool_choice required (every step masked by the tool grammar, the answer is a call).
            record Mode(String label, List<ToolDefinition> tools, String toolChoice) {}
            List<Mode> modes = List.of(new Mode("none", List.of(), null),
                    new Mode("6 tools, none (constraint off)", tools, "none"),
                    new Mode("6 tools, required (constraint on)", tools, "required"));
            for (Mode mode : modes) {
                for (int adapterCount : new int[] {1, 4}) {
                    for (int clients : concurrency) {
                        List<Sample> samples = run(base, adapters.subList(0, adapterCount), mode.tools(),
                                mode.toolChoice(), clients, seconds, maxTokens, 0);
                        rows.add(row(label, mode.label(), adapterCount, clients, seconds, samples));
                        System.out.println(rows.get(rows.size() - 1));
                    }
                }
            }

            // Swap: 4 clients on tenant/swap while versions 2 and 3 are published and version 2 is deleted.
            Adapter v1 = publisher.publish(tenant, "swap", 1, 2001);
            ServiceClients.awaitModel(base, v1.adapterId(), true);
            ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
            List<long[]> swaps = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(4);
            long until = System.nanoTime() + seconds * 3L * 1_000_000_000L;
            List<Future<?>> loops = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                loops.add(pool.submit(() -> {
                    while (System.nanoTime() < until) {
                        samples.add(request(base, tenant + "/swap", List.of(), null, maxTokens));
                    }
                    return null;
                }));
            }
            Thread.sleep(seconds * 1000L);
            long t0 = System.nanoTime();
            Adapter v2 = publisher.publish(tenant, "swap", 2, 2002);
            ServiceClients.awaitModel(base, v2.adapterId(), true);
            swaps.add(new long[] {t0, System.nanoTime()});
            Thread.sleep(seconds * 1000L / 2);
            long t1 = System.nanoTime();
            Adapter v3 = publisher.publish(tenant, "swap", 3, 2003);
            publisher.delete(v2);
            ServiceClients.awaitModel(base, v3.adapterId(), true);
            swaps.add(new long[] {t1, System.nanoTime()});
            for (Future<?> loop : loops) {
                loop.get();
            }
            pool.shutdown();
            List<Sample> during = new ArrayList<>();
            List<Sample> outside = new ArrayList<>();
            for (Sample sample : samples) {
                boolean overlaps = swaps.stream().anyMatch(w -> sample.start() <= w[1] && sample.end() >= w[0]);
                (overlaps ? during : outside).add(sample);
            }
            rows.add("");
            rows.add("| " + label + " swap | requests | failed | latency p50 ms | latency p95 ms | latency max ms |");
            rows.add("| --- | ---: | ---: | ---: | ---: | ---: |");
            rows.add(swapRow("during a swap", during));
            rows.add(swapRow("outside swaps", outside));
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, String.join("\n", rows) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    private static String swapRow(String what, List<Sample> samples) {
        List<Long> latency = samples.stream().filter(s -> !s.failed()).map(Sample::latencyNanos).sorted().toList();
        return "| " + what + " | " + samples.size() + " | " + samples.stream().filter(Sample::failed).count() + " | "
                + ms(percentile(latency, 50)) + " | " + ms(percentile(latency, 95)) + " | "
                + ms(latency.isEmpty() ? 0 : latency.get(latency.size() - 1)) + " |";
    }

    private static List<Sample> run(String base, List<String> models, List<ToolDefinition> tools, String toolChoice,
            int clients, int seconds, int maxTokens, int fixedRequests) throws Exception {
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        List<Future<?>> loops = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            loops.add(pool.submit(() -> {
                while (fixedRequests > 0 ? next.get() < fixedRequests : System.nanoTime() < until) {
                    String model = models.get(Math.floorMod(next.getAndIncrement(), models.size()));
                    samples.add(request(base, model, tools, toolChoice, maxTokens));
                }
                return null;
            }));
        }
        for (Future<?> loop : loops) {
            loop.get();
        }
        pool.shutdown();
        return new ArrayList<>(samples);
    }

    /** One streaming request; time to first token is the first chunk that carries content or a tool call. */
    private static Sample request(String base, String model, List<ToolDefinition> tools, String toolChoice,
            int maxTokens) {
        long start = System.nanoTime();
        try {
            ObjectNode body = ChatJson.MAPPER.createObjectNode();
            body.put("model", model);
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            body.put("max_tokens", maxTokens);
            body.put("temperature", 0);
            body.putArray("messages").addObject().put("role", "user")
                    .put("content", "What is the weather in Paris tomorrow, and how do I get there from Lyon?");
            if (!tools.isEmpty()) {
                ArrayNode array = body.putArray("tools");
                tools.forEach(t -> array.add(ChatJson.MAPPER.valueToTree(t)));
                body.put("tool_choice", toolChoice);
            }
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .header("X-Tooltune-Internal-Token", KafkaTopicResource.INTERNAL_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
            HttpResponse<InputStream> response = ServiceClients.HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                return new Sample(System.nanoTime() - start, 0, 0, start, System.nanoTime(), true);
            }
            long ttft = 0;
            int tokens = 0;
            boolean done = false;
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    String data = line.substring(6);
                    if (data.equals("[DONE]")) {
                        done = true;
                        break;
                    }
                    JsonNode chunk = ChatJson.MAPPER.readTree(data);
                    JsonNode delta = chunk.path("choices").path(0).path("delta");
                    if (ttft == 0 && (delta.path("content").asText("").length() > 0 || delta.has("tool_calls"))) {
                        ttft = System.nanoTime() - start;
                    }
                    if (chunk.path("usage").has("completion_tokens")) {
                        tokens = chunk.path("usage").path("completion_tokens").asInt();
                    }
                }
            }
            long end = System.nanoTime();
            return new Sample(end - start, ttft == 0 ? end - start : ttft, tokens, start, end, !done);
        } catch (Exception e) {
            return new Sample(System.nanoTime() - start, 0, 0, start, System.nanoTime(), true);
        }
    }

    private static String row(String label, String tools, int adapters, int clients, int seconds, List<Sample> samples) {
        List<Sample> ok = samples.stream().filter(s -> !s.failed()).toList();
        long first = samples.stream().mapToLong(Sample::start).min().orElse(0);
        long last = samples.stream().mapToLong(Sample::end).max().orElse(1);
        double wall = Math.max(1e-9, (last - first) / 1e9);
        long tokens = ok.stream().mapToLong(Sample::completionTokens).sum();
        List<Long> ttft = ok.stream().map(Sample::ttftNanos).sorted().toList();
        List<Long> latency = ok.stream().map(Sample::latencyNanos).sorted().toList();
        return String.format("| %s | %s | %d | %d | %d | %d | %.2f | %.1f | %s | %s | %s |", label, tools, adapters,
                clients, ok.size(), samples.size() - ok.size(), ok.size() / wall, tokens / wall,
                ms(percentile(ttft, 50)), ms(percentile(ttft, 95)), ms(percentile(latency, 50)));
    }

    private static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String ms(long nanos) {
        return String.format("%.0f", nanos / 1e6);
    }
}
