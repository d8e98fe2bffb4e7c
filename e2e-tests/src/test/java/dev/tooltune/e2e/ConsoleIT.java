package dev.tooltune.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web console in headless Chromium against the whole stack: {@code scripts/stack.sh up} (whose login key, printed
 * for the console, is tenant A's key), a second tenant's key from {@code scripts/admin.sh}, then
 * {@code e2e-tests/console/run.sh} (playwright-core driving Debian's chromium) clicks through uploads, jobs, the
 * playground and the second tenant's empty pages, and writes screenshots of each page at 1280 and 390 px.
 */
class ConsoleIT {
    private static final Path ROOT = Path.of(System.getProperty("tooltune.root", "..")).toAbsolutePath().normalize();
    private static final Path STACK_DIR = Path.of(System.getProperty("tooltune.console.stack.dir", "target/console-stack"))
            .toAbsolutePath();
    private static final Path SCREENSHOTS = Path.of(System.getProperty("tooltune.console.screenshots",
            "target/console-screenshots")).toAbsolutePath();
    private static final Pattern LOGIN_KEY = Pattern.compile("Login key: (tt-[A-Za-z0-9_-]+)");

    private static final Map<String, String> stackEnv = new HashMap<>();
    private static boolean started;
    private static String gatewayUrl;
    private static String keyA;
    private static String keyB;

    @BeforeAll
    static void startStack() throws Exception {
        stackEnv.put("TOOLTUNE_STACK_DIR", STACK_DIR.toString());
        stackEnv.put("TOOLTUNE_STACK_PORT", String.valueOf(FreePorts.block(4)));
        // Overridable so that two checkouts on one machine (and one PostgreSQL) never clean each other's databases.
        stackEnv.put("TOOLTUNE_STACK_DATASET_DB", System.getProperty("tooltune.console.dataset.db", "tooltune_console_e2e"));
        stackEnv.put("TOOLTUNE_STACK_GATEWAY_DB",
                System.getProperty("tooltune.console.gateway.db", "tooltune_gateway_console_e2e"));
        stackEnv.put("TOOLTUNE_STACK_HEAP", "768m");
        stackEnv.put("TOOLTUNE_STACK_TENANT", "console-a-" + UUID.randomUUID().toString().substring(0, 8));
        if (System.getenv("KAFKA_BOOTSTRAP_SERVERS") == null) {
            stackEnv.put("KAFKA_PORT", String.valueOf(FreePorts.block(2)));
        }
        started = true;
        Run up = run(Duration.ofMinutes(10), "scripts/stack.sh", "up");
        gatewayUrl = up.stdout().strip();
        Matcher login = LOGIN_KEY.matcher(up.stderr());
        assertTrue(login.find(), "stack.sh up ends with the console's login key: " + up.stderr());
        assertTrue(up.stderr().contains("Console:   " + gatewayUrl + "/"), "and the console's URL: " + up.stderr());
        keyA = login.group(1);
        String gatewayDb = run(Duration.ofMinutes(1), "scripts/stack.sh", "env").stdout().lines()
                .filter(l -> l.startsWith("QUARKUS_DATASOURCE_JDBC_URL=")).findFirst().orElseThrow()
                .substring("QUARKUS_DATASOURCE_JDBC_URL=".length());
        Map<String, String> admin = Map.of("QUARKUS_DATASOURCE_JDBC_URL", gatewayDb);
        keyB = run(Duration.ofMinutes(1), admin, "scripts/admin.sh", "create-key", "--tenant",
                "console-b-" + UUID.randomUUID().toString().substring(0, 8)).stdout().strip();
    }

    @AfterAll
    static void stopStack() throws Exception {
        if (started) {
            run(Duration.ofMinutes(3), "scripts/stack.sh", "down");
        }
    }

    @Test
    void theConsoleIsServedWholeFromTheGateway() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> index = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, index.statusCode());
        assertTrue(index.body().contains("<div id=\"app\">"), index.body());
        assertFalse(index.body().matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing from another host: " + index.body());
        HttpResponse<String> script = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/console.js")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, script.statusCode());
        assertFalse(Pattern.compile("tt-[A-Za-z0-9_-]{40,}").matcher(script.body()).find(), "no key baked into the bundle");
    }

    @Test
    void clicksThroughTheConsoleInChromium() throws Exception {
        Files.createDirectories(SCREENSHOTS);
        Map<String, String> env = Map.of("CONSOLE_URL", gatewayUrl, "CONSOLE_KEY_A", keyA, "CONSOLE_KEY_B", keyB,
                "CONSOLE_SAMPLE", ROOT.resolve("samples/tool-calling-sample.jsonl").toString(),
                "CONSOLE_SCREENSHOTS", SCREENSHOTS.toString());
        // Its output goes to a file and then through System.out: a child writing straight to the forked test JVM's
        // stdout would corrupt failsafe's channel.
        Path log = SCREENSHOTS.resolve("console-e2e.log");
        ProcessBuilder builder = new ProcessBuilder("bash", ROOT.resolve("e2e-tests/console/run.sh").toString())
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process browser = builder.start();
        boolean finished = browser.waitFor(15, TimeUnit.MINUTES);
        if (!finished) {
            browser.descendants().forEach(ProcessHandle::destroy);
            browser.destroy();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.print(output);
        assertTrue(finished, "the browser test did not finish in 15 minutes: " + output);
        assertEquals(0, browser.exitValue(), "console.e2e.mjs failed (the page at the failure: "
                + SCREENSHOTS.resolve("failure.png") + "; stack logs in " + STACK_DIR.resolve("logs") + "):\n" + output);
    }

    private record Run(String stdout, String stderr) {
    }

    private static Run run(Duration timeout, String... command) throws Exception {
        return run(timeout, Map.of(), command);
    }

    /** Runs one of the project's scripts with the stack's settings; its stderr is kept and also shown. */
    private static Run run(Duration timeout, Map<String, String> extraEnv, String... command) throws Exception {
        Path stdout = Files.createTempFile("console-it-", ".out");
        Path stderr = Files.createTempFile("console-it-", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.command().set(0, ROOT.resolve(command[0]).toString());
            builder.environment().putAll(stackEnv);
            builder.environment().putAll(extraEnv);
            Process process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroy();
                fail(String.join(" ", command) + " did not finish in " + timeout);
            }
            String err = Files.readString(stderr, StandardCharsets.UTF_8);
            System.err.print(err.replaceAll("tt-[A-Za-z0-9_-]{20,}", "tt-****"));
            String out = Files.readString(stdout, StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), () -> String.join(" ", command) + " failed: " + out + err);
            return new Run(out, err);
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
