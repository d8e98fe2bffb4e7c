import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bounded load run against the gateway (loopback only): REQUESTS chat completions at a fixed CONCURRENCY, the model
 * of each picked round-robin from MODELS (base and fine-tuned), while RSS and heap of the given service pids are
 * sampled every second. The requests mix streamed and whole answers and every tool_choice mode, and 3 in 16 are
 * hostile (see {@link Kind}). Prints one summary line per figure (status counts, counts per kind and status, 429s
 * with and without Retry-After, hostile requests that did not get a clear 4xx, streams without [DONE], latency
 * percentiles, RSS/heap at start, middle and end). A worker answered 429 or 503 waits its Retry-After before its next
 * request, as OpenAI's SDKs do (the latency figures count the request, not the wait). RESULT PASS: no 5xx, no transport error, every 429 with
 * Retry-After, every hostile request a 4xx with a message, every 200 stream ends with [DONE].
 *
 *   java [-Dseconds=N] scripts/fault/LoadRun.java URL KEY REQUESTS CONCURRENCY MODELS(comma) [name=pid:metricsUrl ...]
 *
 * With -Dseconds, no request starts after N seconds (the run is bounded in time as well as in count); the summary
 * counts the requests made.
 */
public class LoadRun {
    public static void main(String[] args) throws Exception {
        String url = args[0].replaceAll("/$", "");
        String key = args[1];
        int requests = Integer.parseInt(args[2]);
        int concurrency = Integer.parseInt(args[3]);
        String[] models = args[4].split(",");
        Map<String, String[]> watched = new TreeMap<>();
        for (int i = 5; i < args.length; i++) {
            String[] nameRest = args[i].split("=", 2);
            watched.put(nameRest[0], nameRest[1].split(":", 2));
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]";
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger tooManyWithoutRetryAfter = new AtomicInteger();
        AtomicInteger transportErrors = new AtomicInteger();
        AtomicInteger hostileMishandled = new AtomicInteger();
        AtomicInteger brokenStreams = new AtomicInteger();
        Map<String, AtomicInteger> byKind = new ConcurrentHashMap<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        long[] latencies = new long[requests];
        AtomicInteger next = new AtomicInteger();
        List<String> samples = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong started = new AtomicLong(System.nanoTime());
        long deadline = started.get() + Long.getLong("seconds", 86_400L) * 1_000_000_000L;
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                StringBuilder line = new StringBuilder(String.format("t=%.0fs", (System.nanoTime() - started.get()) / 1e9));
                watched.forEach((name, pidAndMetrics) -> line.append(' ').append(name).append(" rss=")
                        .append(rssMiB(pidAndMetrics[0])).append("MiB heap=").append(heapMiB(http, pidAndMetrics[1]))
                        .append("MiB"));
                samples.add(line.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        for (int w = 0; w < concurrency; w++) {
            pool.execute(() -> {
                int i;
                while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < requests) {
                    String model = models[i % models.length];
                    Kind kind = Kind.of(i);
                    boolean stream = kind == Kind.STREAM || kind == Kind.STREAM_TOOLS;
                    String body = kind.body(model, i, tools);
                    String auth = kind == Kind.BAD_KEY ? "Bearer sk-not-a-key-" + i : "Bearer " + key;
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                                .header("Authorization", auth).header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(180)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        latencies[i] = System.nanoTime() - t0;
                        statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        byKind.computeIfAbsent(kind + " " + response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        if (kind.hostile() && (response.statusCode() < 400 || response.statusCode() >= 500
                                || !response.body().contains("\"message\""))) {
                            hostileMishandled.incrementAndGet();
                            if (failures.size() < 20) {
                                failures.add(kind + " " + model + " -> " + response.statusCode() + " " + response.body()
                                        .substring(0, Math.min(300, response.body().length())));
                            }
                        }
                        if (response.statusCode() == 429 && response.headers().firstValue("Retry-After").isEmpty()) {
                            tooManyWithoutRetryAfter.incrementAndGet();
                        }
                        if (response.statusCode() == 429 || response.statusCode() == 503) {
                            // as OpenAI's SDKs do: this worker waits what the server asked before its next request
                            long wait = response.headers().firstValue("Retry-After").map(Long::parseLong).orElse(1L);
                            Thread.sleep(Math.min(wait, 60) * 1000);
                        }
                        if (!kind.hostile() && response.statusCode() != 200 && response.statusCode() != 429
                                && failures.size() < 20) {
                            failures.add(model + " -> " + response.statusCode() + " " + response.body()
                                    .substring(0, Math.min(300, response.body().length())));
                        }
                        if (response.statusCode() == 200 && stream && !response.body().strip().endsWith("data: [DONE]")) {
                            brokenStreams.incrementAndGet();
                            failures.add(model + " -> stream without [DONE]");
                        }
                    } catch (Exception e) {
                        latencies[i] = System.nanoTime() - t0;
                        transportErrors.incrementAndGet();
                        if (failures.size() < 20) {
                            failures.add(model + " -> " + e);
                        }
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(2, java.util.concurrent.TimeUnit.HOURS);
        double seconds = (System.nanoTime() - started.get()) / 1e9;
        sampler.interrupt();
        int made = Math.min(next.get(), requests);
        long[] sorted = Arrays.copyOf(latencies, made);
        Arrays.sort(sorted);
        System.out.printf("requests=%d (of %d asked) concurrency=%d models=%d wall=%.1fs throughput=%.2f req/s%n", made,
                requests, concurrency, models.length, seconds, made / seconds);
        System.out.println("statuses=" + new TreeMap<>(statuses) + " transport_errors=" + transportErrors
                + " 429_without_retry_after=" + tooManyWithoutRetryAfter + " hostile_not_a_clear_4xx=" + hostileMishandled
                + " streams_without_done=" + brokenStreams);
        System.out.println("by_kind=" + new TreeMap<>(byKind));
        System.out.printf("latency_ms p50=%.0f p90=%.0f p99=%.0f max=%.0f%n", pct(sorted, 50), pct(sorted, 90),
                pct(sorted, 99), sorted[sorted.length - 1] / 1e6);
        if (!samples.isEmpty()) {
            System.out.println("memory_first: " + samples.get(0));
            System.out.println("memory_middle: " + samples.get(samples.size() / 2));
            System.out.println("memory_last: " + samples.get(samples.size() - 1));
        }
        Path out = Path.of(System.getProperty("samples", "/dev/null"));
        if (!out.toString().equals("/dev/null")) {
            Files.write(out, samples);
        }
        failures.forEach(f -> System.out.println("failure: " + f));
        boolean ok = transportErrors.get() == 0 && tooManyWithoutRetryAfter.get() == 0 && hostileMishandled.get() == 0
                && brokenStreams.get() == 0 && statuses.keySet().stream().allMatch(s -> s < 500);
        System.out.println(ok ? "RESULT PASS" : "RESULT FAIL");
        System.exit(ok ? 0 : 1);
    }

    /**
     * What request i is: 16 in a cycle, 13 ordinary (plain, streamed, tool_choice auto/required/named/none, streamed
     * with tools) and 3 hostile ones that must get a clear 4xx (a bad key, broken JSON, a schema that is no schema,
     * a negative max_tokens, an unknown model, a prompt over the context).
     */
    enum Kind {
        PLAIN, STREAM, AUTO, REQUIRED, NAMED, NONE, STREAM_TOOLS, BAD_KEY, BROKEN_JSON, BAD_SCHEMA, BAD_MAX_TOKENS,
        UNKNOWN_MODEL, OVER_CONTEXT;

        private static final Kind[] CYCLE = {REQUIRED, PLAIN, STREAM, AUTO, REQUIRED, NAMED, STREAM_TOOLS, NONE, PLAIN,
            REQUIRED, STREAM, AUTO, NAMED, null, null, null};
        private static final Kind[] HOSTILE = {BAD_KEY, BROKEN_JSON, BAD_SCHEMA, BAD_MAX_TOKENS, UNKNOWN_MODEL, OVER_CONTEXT};
        /** About 40k tokens of text: over the context this stack serves (32,768), under the 4 MiB JSON limit. */
        private static final String LONG = "word ".repeat(40_000);

        static Kind of(int i) {
            Kind k = CYCLE[i % CYCLE.length];
            return k != null ? k : HOSTILE[(i / CYCLE.length * 3 + i % CYCLE.length - 13) % HOSTILE.length];
        }

        boolean hostile() {
            return ordinal() >= BAD_KEY.ordinal();
        }

        String body(String model, int i, String tools) {
            String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in city " + i + "?\"}]";
            String common = "\"model\":\"" + model + "\",\"max_tokens\":8,\"temperature\":0,";
            return switch (this) {
                case PLAIN, BAD_KEY -> "{" + common + messages + "}";
                case STREAM -> "{" + common + "\"stream\":true," + messages + "}";
                case AUTO -> "{" + common + messages + ",\"tools\":" + tools + ",\"tool_choice\":\"auto\"}";
                case REQUIRED -> "{" + common + messages + ",\"tools\":" + tools + ",\"tool_choice\":\"required\"}";
                case NAMED -> "{" + common + messages + ",\"tools\":" + tools
                        + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}";
                case NONE -> "{" + common + messages + ",\"tools\":" + tools + ",\"tool_choice\":\"none\"}";
                case STREAM_TOOLS -> "{" + common + "\"stream\":true," + messages + ",\"tools\":" + tools
                        + ",\"tool_choice\":\"required\"}";
                case BROKEN_JSON -> "{" + common + messages + ",\"tools\":[{";
                case BAD_SCHEMA -> "{" + common + messages + ",\"tools\":[{\"type\":\"function\",\"function\":{"
                        + "\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"no-such-type\"}}}}}],"
                        + "\"tool_choice\":\"required\"}";
                case BAD_MAX_TOKENS -> "{\"model\":\"" + model + "\",\"max_tokens\":-5," + messages + "}";
                case UNKNOWN_MODEL -> "{\"model\":\"ft:no-such-model-" + i + "\"," + messages + "}";
                case OVER_CONTEXT -> "{" + common + "\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG + "\"}]}";
            };
        }
    }

    static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }

    static long rssMiB(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

    private static final Pattern HEAP = Pattern.compile("jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]*\"[^}]*\\} ([0-9.eE+-]+)");

    static long heapMiB(HttpClient http, String metricsUrl) {
        try {
            String text = http.send(HttpRequest.newBuilder(URI.create(metricsUrl)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            Matcher m = HEAP.matcher(text);
            while (m.find()) {
                sum += Double.parseDouble(m.group(1));
            }
            return (long) (sum / (1 << 20));
        } catch (Exception e) {
            return -1;
        }
    }
}
