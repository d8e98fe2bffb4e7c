package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.chitchat;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.looseEmail;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ChatNormalizer;
import dev.tooltune.chat.sample.SampleDataGenerator;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class ImportResourceTest {

    @org.junit.jupiter.api.BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    /** Nine lines, CRLF, a BOM, no final newline: 3 storable, 5 broken in different ways, 1 blank. */
    static byte[] messyFile() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        String[] lines = {
                weather("Oslo"),                                                              // 1 valid
                "{\"messages\": [",                                                           // 2 not JSON
                "",                                                                           // 3 blank
                null,                                                                         // 4 invalid UTF-8
                weather("Rome").replace("\"name\":\"get_weather\",\"arguments\"", "\"name\":\"get_forecast\",\"arguments\""), // 5 undeclared tool
                weather("Paris").replace("{\\\"city\\\":\\\"Paris\\\"}", "{\\\"town\\\":\\\"Paris\\\"}"),                  // 6 schema violation
                looseEmail("ann@example.com"),                                                // 7 valid, loose form
                weather("Kyiv").replace("\"tool_call_id\":\"c1\"", "\"tool_call_id\":\"c9\""), // 8 answers unknown call
                weather("Oslo"),                                                              // 9 duplicate of 1
        };
        for (int i = 0; i < lines.length; i++) {
            if (lines[i] == null) {
                out.writeBytes("{\"messages\":\"caf".getBytes(StandardCharsets.UTF_8));
                out.writeBytes(new byte[] {(byte) 0xE9, '"', '}'});
            } else {
                out.writeBytes(lines[i].getBytes(StandardCharsets.UTF_8));
            }
            if (i < lines.length - 1) {
                out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    static JsonPath upload(long dataset, byte[] file, String query, int expectedStatus) {
        return given().body(file).contentType("application/x-ndjson")
                .post("/datasets/" + dataset + "/imports?wait=true&" + query)
                .then().statusCode(expectedStatus)
                .extract().jsonPath();
    }

    static String export(long dataset, String version) {
        return given().get("/datasets/" + dataset + "/versions/" + version + "/export")
                .then().statusCode(200).contentType(containsString("application/x-ndjson"))
                .extract().asString();
    }

    @Test
    void lenientImportKeepsValidLinesAndReportsEachBadOneByLineAndPath() {
        long dataset = createDataset();
        JsonPath job = upload(dataset, messyFile(), "mode=lenient", 201);
        assertEquals("SUCCEEDED", job.getString("state"));
        assertEquals(1, job.getInt("versionNumber"));
        assertEquals(3, job.getInt("examplesStored"));
        assertEquals(5, job.getInt("invalidLines"));
        assertEquals(1, job.getInt("duplicateLines"));
        assertEquals(1, job.getInt("blankLines"));
        assertEquals(9, job.getInt("progress.linesRead"));
        assertEquals(100, job.getInt("progress.percent"));

        List<Map<String, Object>> problems = job.getList("problems");
        assertProblem(problems, 2, "$", "not valid JSON");
        assertProblem(problems, 4, "$", "not valid UTF-8");
        assertProblem(problems, 5, "$.messages[1].tool_calls[0].function.name", "\"get_forecast\", which is not a declared tool (declared: get_weather)");
        assertProblem(problems, 6, "$.messages[1].tool_calls[0].function.arguments", "city");
        assertProblem(problems, 8, "$.messages[2].tool_call_id", "no earlier assistant message made a call with that id");
        assertProblem(problems, 9, "$", "exact duplicate (after normalisation) of line 1");

        String exported = export(dataset, "1");
        String[] lines = exported.split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[1].contains("\"id\":\"call_1_0\",\"type\":\"function\""), lines[1]);
    }

    private static void assertProblem(List<Map<String, Object>> problems, int line, String path, String reasonPart) {
        boolean found = problems.stream().anyMatch(p -> ((Number) p.get("line")).intValue() == line
                && path.equals(p.get("path")) && String.valueOf(p.get("reason")).contains(reasonPart));
        assertTrue(found, "no problem on line " + line + " at " + path + " containing '" + reasonPart + "' in " + problems);
    }

    @Test
    void strictImportWithErrorsStoresNothingAndLeavesEarlierVersionsIntact() {
        long dataset = createDataset();
        String good = weather("Oslo") + "\n" + chitchat("tea") + "\n";
        upload(dataset, good.getBytes(StandardCharsets.UTF_8), "mode=strict", 201);
        String before = export(dataset, "1");

        JsonPath rejected = upload(dataset, messyFile(), "mode=strict", 422);
        assertEquals("REJECTED", rejected.getString("state"));
        assertEquals(0, rejected.getInt("examplesStored"));
        assertEquals(5, rejected.getInt("invalidLines"));
        assertTrue(rejected.getString("message").contains("nothing was stored"));

        given().get("/datasets/" + dataset + "/versions").then().statusCode(200).body("$", hasSize(1));
        assertEquals(before, export(dataset, "latest"));
        given().get("/datasets/" + dataset).then().body("latestVersion", equalTo(1));
    }

    @Test
    void exportGivesBackTheImportedExamplesInCanonicalForm() throws Exception {
        long dataset = createDataset();
        List<String> originals = List.of(weather("Oslo"), looseEmail("bob@example.com"), chitchat("chess"), weather("Лиссабон"));
        String file = String.join("\n", originals) + "\n";
        upload(dataset, file.getBytes(StandardCharsets.UTF_8), "", 201);

        String exported = export(dataset, "1");
        String[] lines = exported.split("\n");
        assertEquals(originals.size(), lines.length);
        for (int i = 0; i < lines.length; i++) {
            assertEquals(ChatNormalizer.normalize(ChatJson.MAPPER.readTree(originals.get(i))), ChatJson.MAPPER.readTree(lines[i]));
        }
        assertEquals(weather("Oslo"), lines[0], "canonical input comes back byte for byte");

        long copy = createDataset();
        upload(copy, exported.getBytes(StandardCharsets.UTF_8), "", 201);
        assertEquals(exported, export(copy, "1"), "export -> import -> export is stable");
    }

    @Test
    void generatedSampleDataImportsStrictlyAndExportsByteForByte() throws Exception {
        StringWriter generated = new StringWriter();
        new SampleDataGenerator(42).writeJsonl(400, generated);
        long dataset = createDataset();
        JsonPath job = upload(dataset, generated.toString().getBytes(StandardCharsets.UTF_8), "mode=strict", 201);
        assertEquals(0, job.getInt("invalidLines"), job.prettify());
        assertEquals(400, job.getInt("examplesStored"));
        assertEquals(generated.toString(), export(dataset, "1"));
    }

    @Test
    void importRunsInTheBackgroundAndReportsProgress() throws InterruptedException {
        long dataset = createDataset();
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            file.append(weather("City" + i)).append('\n');
        }
        JsonPath accepted = given().body(file.toString()).post("/datasets/" + dataset + "/imports?mode=strict")
                .then().statusCode(202).header("Location", containsString("/imports/"))
                .extract().jsonPath();
        long job = accepted.getLong("id");
        assertTrue(accepted.getLong("progress.bytesTotal") > 0);
        JsonPath status = null;
        for (int i = 0; i < 300; i++) {
            status = given().get("/imports/" + job).then().statusCode(200).extract().jsonPath();
            if (status.getString("state").equals("SUCCEEDED")) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals("SUCCEEDED", status.getString("state"));
        assertEquals(3000, status.getInt("examplesStored"));
        given().get("/datasets/" + dataset + "/imports").then().body("[0].id", equalTo((int) job));

        // More token counts missing than statistics count while the client waits: they are counted in the
        // background and the answer says how many are pending.
        JsonPath stats = given().get("/datasets/" + dataset + "/versions/1/stats").then().statusCode(200).extract().jsonPath();
        assertEquals(3000, stats.getInt("examples"));
        assertEquals(3000, stats.getInt("tokens.pending") + stats.getInt("tokens.counted"));
        assertTrue(stats.getInt("tokens.pending") > 0, stats.prettify());
    }

    @Test
    void badRequestsGetClearErrors() {
        long dataset = createDataset();
        given().body("{}").post("/datasets/" + dataset + "/imports?mode=sloppy")
                .then().statusCode(400).body("error.message", containsString("strict or lenient"));
        given().body("{}").post("/datasets/" + dataset + "/imports?format=csv")
                .then().statusCode(400).body("error.message", containsString("unknown format"));
        given().body("{}").post("/datasets/999999/imports")
                .then().statusCode(404).body("error.message", containsString("does not exist"));
        upload(dataset, new byte[0], "", 422);
    }
}
