package dev.tooltune.chat.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToolSchemasTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TARGET = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}";

    private static JsonNode refTo(String uri) throws IOException {
        return JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"$ref\":\"" + uri + "\"}}}");
    }

    /** A real listener that answers any request with a valid schema and counts the connections it gets. */
    @Test
    void remoteReferencesAreNeverFetchedNorFilesRead(@TempDir Path dir) throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (Socket socket = listener.accept(); OutputStream out = socket.getOutputStream()) {
                        connections.incrementAndGet();
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + TARGET.length()
                                + "\r\n\r\n" + TARGET).getBytes(StandardCharsets.UTF_8));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            int port = listener.getLocalPort();

            Path file = Files.writeString(dir.resolve("s.json"), TARGET);
            Path jar = dir.resolve("s.jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                out.putNextEntry(new JarEntry("s.json"));
                out.write(TARGET.getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
            ToolSchemas schemas = new ToolSchemas();
            for (String uri : new String[] {
                    "http://127.0.0.1:" + port + "/s.json",
                    "https://127.0.0.1:" + port + "/s.json",
                    "http://localhost:" + port + "/s.json#/properties",
                    file.toUri().toString(),
                    "jar:" + jar.toUri() + "!/s.json",
                    "classpath:dev/tooltune/chat/schema/ToolSchemas.class"}) {
                ToolSchemas.Compiled compiled = schemas.compile(refTo(uri));
                assertNull(compiled.schema(), uri + " must not compile into a usable schema");
                assertNotNull(compiled.problem());
                assertTrue(compiled.problem().contains("never fetches"), compiled.problem());
            }
            Thread.sleep(300);
            assertEquals(0, connections.get(), "no connection may reach the listener");
        }
    }

    /**
     * {@code $ref}s that are relative to an {@code $id} (of the root or of a subschema, http, file, scheme-relative,
     * or climbing out of the bundled meta-schemas' class path directory) resolve to outside documents: none may be
     * fetched or read. A ref to the schema's own {@code $id} still works, without any fetch.
     */
    @Test
    void idRelativeReferencesAreNeverFetchedNorFilesRead(@TempDir Path dir) throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!listener.isClosed()) {
                    try (Socket socket = listener.accept(); OutputStream out = socket.getOutputStream()) {
                        connections.incrementAndGet();
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + TARGET.length()
                                + "\r\n\r\n" + TARGET).getBytes(StandardCharsets.UTF_8));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            String http = "http://127.0.0.1:" + listener.getLocalPort() + "/";
            Files.writeString(dir.resolve("s.json"), TARGET);
            ToolSchemas schemas = new ToolSchemas();
            for (String schema : new String[] {
                    "{\"$id\":\"" + http + "root.json\",\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"s.json\"}}}",
                    "{\"type\":\"object\",\"properties\":{\"a\":{\"$id\":\"" + http + "dir/\",\"$ref\":\"s.json\"}}}",
                    "{\"$id\":\"" + http + "r/\",\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/$defs/x\"}},"
                            + "\"$defs\":{\"x\":{\"$id\":\"sub/\",\"$ref\":\"s.json\"}}}",
                    "{\"$id\":\"" + dir.toUri() + "\",\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"s.json\"}}}",
                    "{\"$id\":\"//127.0.0.1:" + listener.getLocalPort() + "/n/\",\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"s.json\"}}}",
                    "{\"$id\":\"" + http + "x\",\"type\":\"object\",\"properties\":{\"a\":{\"$dynamicRef\":\"s.json#meta\"}}}",
                    "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"$id\":\"" + http + "d7/root.json\","
                            + "\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"s.json\"}}}",
                    "{\"$id\":\"classpath:draft2020-12/\",\"type\":\"object\",\"properties\":{\"a\":"
                            + "{\"$ref\":\"../dev/tooltune/chat/schema/ToolSchemas.class\"}}}"}) {
                ToolSchemas.Compiled compiled = schemas.compile(JSON.readTree(schema));
                assertNull(compiled.schema(), schema + " must not compile into a usable schema");
                assertTrue(compiled.problem().contains("never fetches"), schema + ": " + compiled.problem());
            }
            ToolSchemas.Compiled own = schemas.compile(JSON.readTree("{\"$id\":\"" + http + "own.json\",\"type\":\"object\","
                    + "\"properties\":{\"a\":{\"$ref\":\"own.json#/$defs/city\"}},\"$defs\":{\"city\":{\"type\":\"string\"}}}"));
            assertNull(own.problem());
            assertEquals(1, own.schema().validate(JSON.readTree("{\"a\":3}")).size());
            Thread.sleep(300);
            assertEquals(0, connections.get(), "no connection may reach the listener");
        }
    }

    @Test
    void localReferencesAndBundledMetaSchemasStillWork() throws IOException {
        ToolSchemas schemas = new ToolSchemas();
        ToolSchemas.Compiled compiled = schemas.compile(JSON.readTree("""
                {"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
                 "properties":{"city":{"$ref":"#/definitions/name"}},"definitions":{"name":{"type":"string"}}}"""));
        assertNull(compiled.problem());
        assertEquals(1, compiled.schema().validate(JSON.readTree("{\"city\":3}")).size());
    }

    @Test
    void aVeryDeepSchemaIsAProblemNotAStackOverflow() throws IOException {
        StringBuilder deep = new StringBuilder();
        int levels = 450; // two JSON levels each: 900 in all, under Jackson's limit of 1000
        for (int i = 0; i < levels; i++) {
            deep.append("{\"type\":\"object\",\"properties\":{\"a\":");
        }
        deep.append("{\"type\":\"string\"}");
        deep.append("}}".repeat(levels));
        ToolSchemas.Compiled compiled = new ToolSchemas().compile(JSON.readTree(deep.toString()));
        assertNull(compiled.schema());
        assertTrue(compiled.problem().contains("levels deep"), compiled.problem());
    }

    /** Every asserted format rejects a wrong value and accepts a right one, under Draft 2020-12 and Draft 7 alike. */
    @Test
    void formatsAreAssertedUnderEveryDraft() throws IOException {
        String[][] cases = {
                {"date", "2025-02-28", "2025-02-30"}, {"time", "10:15:00Z", "25:00:00Z"},
                {"date-time", "2025-01-01T10:00:00+01:00", "tomorrow at 3"}, {"email", "ann@example.com", "ann at example"},
                {"uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"}, {"ipv4", "10.0.0.1", "10.0.0.256"},
                {"uri", "https://example.com/a?b=c", "not a uri"}, {"hostname", "api.example.com", "-bad-.example.com"},
                {"ipv6", "::1", "::g"}, {"duration", "P1DT2H", "one day"}};
        ToolSchemas schemas = new ToolSchemas();
        for (String draft : new String[] {null, "http://json-schema.org/draft-07/schema#"}) {
            for (String[] c : cases) {
                var schema = JSON.createObjectNode().put("type", "object");
                if (draft != null) {
                    schema.put("$schema", draft);
                }
                schema.putObject("properties").putObject("v").put("type", "string").put("format", c[0]);
                ToolSchemas.Compiled compiled = schemas.compile(schema);
                assertNull(compiled.problem(), c[0]);
                String where = c[0] + " under " + (draft == null ? "2020-12" : draft);
                assertEquals(0, compiled.schema().validate(JSON.createObjectNode().put("v", c[1])).size(), where + " accepts " + c[1]);
                var errors = compiled.schema().validate(JSON.createObjectNode().put("v", c[2]));
                assertEquals(1, errors.size(), where + " rejects " + c[2]);
                String message = errors.iterator().next().getMessage();
                assertTrue(message.contains("$.v") && message.contains(c[0]), message);
            }
        }
    }

    /** The library's non-standard formats and unknown ones are annotations: a tool's "phone" is not forced to E.164. */
    @Test
    void nonStandardFormatsAreAnnotations() throws IOException {
        ToolSchemas schemas = new ToolSchemas();
        for (String format : new String[] {"phone", "color", "alpha", "utc-millisec", "made-up"}) {
            var schema = JSON.createObjectNode().put("type", "string").put("format", format);
            assertEquals(0, schemas.compile(schema).schema().validate(JSON.valueToTree("555-0100 ext. 7")).size(), format);
        }
        assertTrue(ToolSchemas.ASSERTED_FORMATS.containsAll(
                java.util.List.of("date", "time", "date-time", "email", "uuid", "ipv4", "uri", "hostname")));
    }
}
