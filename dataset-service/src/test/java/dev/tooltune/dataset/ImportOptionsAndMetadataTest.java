package dev.tooltune.dataset;

import static dev.tooltune.dataset.ImportResourceTest.export;
import static dev.tooltune.dataset.ImportResourceTest.upload;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Metadata round trips, the import options of issue 12 over HTTP, and files that are not JSON Lines at all. */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class ImportOptionsAndMetadataTest {

    @BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    private static List<Map<String, Object>> problems(JsonPath job) {
        return job.getList("problems");
    }

    private static String withMetadata(String line, String keys) {
        return line.substring(0, line.length() - 1) + "," + keys + "}";
    }

    @Test
    void metadataIsKeptShownAndExportedBackExactly() {
        long dataset = createDataset();
        String atEnd = withMetadata(weather("Oslo"), "\"id\":\"bfcl-simple-17\",\"category\":\"simple\","
                + "\"ground_truth\":[{\"get_weather\":{\"city\":[\"Oslo\"]}}],\"score\":0.25,\"tags\":null");
        String atStart = "{\"id\":42," + weather("Rome").substring(1);
        upload(dataset, (atEnd + "\n" + atStart + "\n" + weather("Lima") + "\n").getBytes(StandardCharsets.UTF_8), "", 201);

        List<String> exported = export(dataset, "1").lines().toList();
        assertEquals(atEnd, exported.get(0), "a line in canonical order with metadata after the chat comes back byte for byte");
        assertEquals(withMetadata(weather("Rome"), "\"id\":42"), exported.get(1), "metadata follows the chat fields");
        assertEquals(weather("Lima"), exported.get(2));

        JsonPath examples = given().get("/datasets/" + dataset + "/versions/1/examples").then().statusCode(200).extract().jsonPath();
        assertEquals("bfcl-simple-17", examples.getString("items[0].metadata.id"));
        assertEquals(0.25f, examples.getFloat("items[0].metadata.score"));
        assertEquals(42, examples.getInt("items[1].metadata.id"));
        assertNull(examples.get("items[2].metadata"));

        // a re-import of the export is the same data: export, import, export again gives the same bytes
        long copy = createDataset();
        upload(copy, export(dataset, "1").getBytes(StandardCharsets.UTF_8), "", 201);
        assertEquals(export(dataset, "1"), export(copy, "1"));
    }

    @Test
    void metadataOverTheLimitIsALineProblem() {
        long dataset = createDataset();
        String huge = withMetadata(weather("Oslo"), "\"reference\":\"" + "x".repeat(70_000) + "\"");
        JsonPath job = upload(dataset, (weather("Rome") + "\n" + huge + "\n").getBytes(StandardCharsets.UTF_8), "mode=lenient&keepInvalid=true", 201);
        assertEquals(1, job.getInt("examplesStored"), job.prettify());
        assertEquals(2, ((Number) problems(job).get(0).get("line")).intValue());
        assertTrue(problems(job).get(0).get("reason").toString().contains("the metadata (top-level keys reference) is 70016 bytes; the limit is 65536 bytes"),
                job.prettify());
    }

    @Test
    void undeclaredArgumentsAreWarnedAboutOrRejected() {
        long dataset = createDataset();
        String hallucinated = weather("Oslo").replace("{\\\"city\\\":\\\"Oslo\\\"}", "{\\\"city\\\":\\\"Oslo\\\",\\\"country\\\":\\\"NO\\\"}");
        assertTrue(hallucinated.contains("country"), hallucinated);
        byte[] file = (weather("Rome") + "\n" + hallucinated + "\n").getBytes(StandardCharsets.UTF_8);

        JsonPath warned = upload(dataset, file, "", 201);
        assertEquals(2, warned.getInt("examplesStored"));
        assertEquals(List.of(Map.of("line", 2, "path", "$.messages[1].tool_calls[0].function.arguments.country", "severity", "warning")),
                problems(warned).stream().map(p -> Map.of("line", p.get("line"), "path", p.get("path"), "severity", p.get("severity"))).toList());
        assertTrue(problems(warned).get(0).get("reason").toString().contains("argument \"country\" is not declared in the parameters of \"get_weather\""));
        assertEquals("warn", warned.getString("undeclaredArguments"));

        JsonPath rejected = upload(dataset, file, "undeclaredArguments=reject", 422);
        assertEquals("error", problems(rejected).get(0).get("severity"));
        assertEquals("reject", rejected.getString("undeclaredArguments"));
        JsonPath lenient = upload(dataset, file, "undeclaredArguments=REJECT&mode=lenient", 201);
        assertEquals(1, lenient.getInt("examplesStored"));
    }

    /** The weather example with its tool's parameters written with BFCL's Python type names. */
    private static String bfcl(String city) {
        return weather(city).replace("\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\",",
                "\"parameters\":{\"type\":\"dict\",\"properties\":{\"city\":{\"type\":\"str\"},\"unit\":{\"type\":\"str\",");
    }

    @Test
    void bfclSchemaTypesAreErrorsNamingTheTypeOrNormalisedOnRequest() {
        long dataset = createDataset();
        assertTrue(bfcl("Oslo").contains("\"dict\""), bfcl("Oslo"));
        byte[] file = (bfcl("Oslo") + "\n" + bfcl("Rome") + "\n").getBytes(StandardCharsets.UTF_8);

        JsonPath refused = upload(dataset, file, "", 422);
        assertEquals(6, refused.getInt("problemCount"), refused.prettify());
        Map<String, Object> first = problems(refused).get(0);
        assertEquals("$.tools[0].function.parameters.type", first.get("path"));
        assertTrue(first.get("reason").toString().startsWith("\"dict\" is not a JSON Schema type; use \"object\", or import with normalizeSchemaTypes=true"),
                refused.prettify());

        JsonPath normalised = upload(dataset, file, "normalizeSchemaTypes=true", 201);
        assertEquals(2, normalised.getInt("examplesStored"));
        assertTrue(normalised.getBoolean("normalizeSchemaTypes"));
        assertEquals(6, normalised.getInt("problemCount"), normalised.prettify());
        assertTrue(problems(normalised).stream().allMatch(p -> "warning".equals(p.get("severity"))), normalised.prettify());
        assertTrue(problems(normalised).get(1).get("reason").toString().contains("rewrote type \"str\" to \"string\""), normalised.prettify());
        // the stored example keeps the normalised schema: it is the standard one
        assertEquals(weather("Oslo") + "\n" + weather("Rome") + "\n", export(dataset, String.valueOf(normalised.getInt("versionNumber"))));
    }

    @Test
    void badOptionValuesAre400NamingTheOption() {
        long dataset = createDataset();
        Map<String, String> bad = Map.of(
                "mode=sloppy", "mode must be strict or lenient, not \"sloppy\"",
                "format=csv", "format: unknown format \"csv\"",
                "keepInvalid=yes&mode=lenient", "keepInvalid must be true or false, not \"yes\"",
                "dropDuplicates=1", "dropDuplicates must be true or false",
                "append=maybe", "append must be true or false",
                "undeclaredArguments=ignore", "undeclaredArguments must be warn or reject, not \"ignore\"",
                "normalizeSchemaTypes=on", "normalizeSchemaTypes must be true or false, not \"on\"",
                "keepInvalid=true", "keepInvalid=true needs mode=lenient");
        for (Map.Entry<String, String> query : bad.entrySet()) {
            given().body(weather("Oslo").getBytes(StandardCharsets.UTF_8)).contentType("application/x-ndjson")
                    .post("/datasets/" + dataset + "/imports?wait=true&" + query.getKey())
                    .then().statusCode(400).contentType(containsString("application/problem+json"))
                    .body("detail", containsString(query.getValue()));
        }
        given().get("/datasets/" + dataset + "/imports").then().statusCode(200).body("size()", org.hamcrest.Matchers.equalTo(0));
    }

    @Test
    void filesThatAreNotJsonLinesGetOneFileLevelProblem() {
        long dataset = createDataset();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            lines.append(weather("C" + i)).append('\n');
        }
        StringBuilder pretty = new StringBuilder("[\n");
        for (int i = 0; i < 300; i++) {
            pretty.append("  ").append(weather("C" + i)).append(i < 299 ? ",\n" : "\n");
        }
        byte[] random = new byte[200_000];
        new Random(7).nextBytes(random);
        ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gzip)) {
            out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        List<Map.Entry<String, byte[]>> files = List.of(
                Map.entry("one JSON array", pretty.append("]\n").toString().getBytes(StandardCharsets.UTF_8)),
                Map.entry("one JSON array", ("[" + String.join(",", lines.toString().lines().toList()) + "]").getBytes(StandardCharsets.UTF_8)),
                Map.entry("UTF-16 (little-endian, with a byte order mark)",
                        concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, lines.toString().getBytes(StandardCharsets.UTF_16LE))),
                Map.entry("UTF-16 (big-endian)", lines.toString().getBytes(StandardCharsets.UTF_16BE)),
                Map.entry("binary data", random),
                Map.entry("it looks compressed", gzip.toByteArray()));
        for (Map.Entry<String, byte[]> file : files) {
            for (String mode : new String[] {"mode=strict", "mode=lenient"}) {
                JsonPath job = upload(dataset, file.getValue(), mode, 422);
                assertEquals(1, job.getInt("problemCount"), file.getKey() + ": " + job.prettify());
                assertEquals(0, job.getInt("problems[0].line"));
                assertTrue(job.getString("problems[0].reason").contains(file.getKey()), job.prettify());
                assertTrue(job.getString("message").startsWith("the file is not JSON Lines"), job.prettify());
            }
        }
        // a JSON Lines file whose first line is a stray array is reported line by line, its valid lines stored
        JsonPath stray = upload(dataset, ("[" + weather("X") + "]\n" + lines).getBytes(StandardCharsets.UTF_8), "mode=lenient", 201);
        assertEquals(300, stray.getInt("examplesStored"));
        assertEquals(1, stray.getInt("problems[0].line"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void parseErrorsOverHttpCarryNoParserInternals() {
        long dataset = createDataset();
        String truncated = weather("Oslo").substring(0, 40);
        JsonPath job = upload(dataset, (weather("Rome") + "\n" + truncated + "\n" + "[".repeat(1500) + "\n").getBytes(StandardCharsets.UTF_8),
                "mode=lenient", 201);
        String reasons = problems(job).toString();
        assertTrue(reasons.contains("line=2") && reasons.contains("not valid JSON: Unexpected end-of-input"), reasons);
        assertTrue(reasons.contains("line=3") && reasons.contains("nested more than 1000 levels deep"), reasons);
        for (String internal : new String[] {"Source:", "REDACTED", "StreamReadConstraints", "INCLUDE_SOURCE_IN_LOCATION"}) {
            assertFalse(reasons.contains(internal), internal + " in " + reasons);
        }
    }
}
