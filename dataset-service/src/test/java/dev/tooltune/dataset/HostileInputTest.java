package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.chitchat;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One hostile line is that line's problem: the import goes on, the valid lines are stored, nothing answers 500. */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class HostileInputTest {

    @BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    /** A weather example whose tool schema is nested {@code levels} x 2 JSON levels deep. */
    static String deepSchema(int levels) {
        String nested = "{\"type\":\"object\",\"properties\":{\"a\":".repeat(levels) + "{\"type\":\"string\"}" + "}}".repeat(levels);
        return weather("Deep").replace("\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}",
                "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":" + nested);
    }

    private static String problemsOf(JsonPath job, int line) {
        List<Map<String, Object>> problems = job.getList("problems");
        return problems.stream().filter(p -> ((Number) p.get("line")).intValue() == line).map(p -> (String) p.get("reason")).toList().toString();
    }

    @Test
    void deepSchemasNulAndLoneSurrogatesAreLineProblems() {
        long dataset = createDataset();
        String file = String.join("\n",
                weather("Oslo"),                                                                          // 1 valid
                deepSchema(450),                                                                          // 2 900 levels deep
                weather("Rome").replace("\"name\":\"get_weather\",\"arguments\"", "\"name\":\"get\\u0000x\",\"arguments\""), // 3 NUL in undeclared name
                chitchat("\\ud800 alone"),                                                                // 4 lone surrogate
                weather("Lima").replace("{\"type\":\"string\"},\"unit\"", "{\"$ref\":\"http://127.0.0.1:9/s.json\"},\"unit\""), // 5 remote $ref
                weather("Kyiv"));                                                                         // 6 valid
        JsonPath job = ImportResourceTest.upload(dataset, file.getBytes(StandardCharsets.UTF_8), "mode=lenient&keepInvalid=true", 201);
        assertEquals(2, job.getInt("examplesStored") - countInvalidStored(dataset), job.prettify());
        assertTrue(problemsOf(job, 2).contains("levels deep"), problemsOf(job, 2));
        assertTrue(problemsOf(job, 3).contains("tool name \"get\ufffdx\""), problemsOf(job, 3)); // NUL reported as U+FFFD, stored in jsonb
        assertTrue(problemsOf(job, 4).contains("lone UTF-16 surrogate (U+D800)"), problemsOf(job, 4));
        assertTrue(problemsOf(job, 5).contains("never fetches"), problemsOf(job, 5));
        String exported = given().get("/datasets/" + dataset + "/versions/1/export").then().statusCode(200).extract().asString();
        assertTrue(exported.contains(weather("Oslo")) && exported.contains(weather("Kyiv")), exported);
        assertTrue(!exported.contains(" alone"), "the line with a lone surrogate is not stored (PostgreSQL would make it '?')");
    }

    private static int countInvalidStored(long dataset) {
        return given().get("/datasets/" + dataset + "/versions/1").then().statusCode(200).extract().jsonPath().getInt("invalidCount");
    }

    /**
     * Fuzz: seeded random mutations of valid lines (truncation, NUL and surrogate escapes, bad UTF-8, deep nesting,
     * random bytes, swapped tool names) mixed with valid lines. Lenient imports must store every valid line; no
     * import of any mode may answer 500. The seed is printed so a failure can be replayed (-Dfuzz.seed=...).
     */
    @Test
    void fuzzedHostileLinesNeverBreakAnImport() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        System.out.println("HostileInputTest fuzz seed: " + seed);
        Random random = new Random(seed);
        for (int round = 0; round < 4; round++) {
            ByteArrayOutputStream file = new ByteArrayOutputStream();
            Set<String> valid = new HashSet<>();
            List<String> summary = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                String line = weather("C" + round + "x" + i);
                if (random.nextInt(3) == 0) {
                    valid.add(line);
                    file.writeBytes(line.getBytes(StandardCharsets.UTF_8));
                } else {
                    byte[] hostile = mutate(line, random);
                    summary.add(new String(hostile, StandardCharsets.UTF_8));
                    file.writeBytes(hostile);
                }
                file.write('\n');
            }
            long dataset = createDataset();
            for (String mode : new String[] {"lenient", "strict", "lenient&keepInvalid=true&dropDuplicates=true"}) {
                Response response = given().body(file.toByteArray()).contentType("application/x-ndjson")
                        .post("/datasets/" + dataset + "/imports?wait=true&mode=" + mode);
                assertNotEquals(500, response.statusCode(), "seed " + seed + " mode " + mode + ": " + response.asString());
                assertTrue(response.statusCode() == 201 || response.statusCode() == 422, response.asString());
                if (mode.equals("lenient")) {
                    assertEquals(201, response.statusCode(), "seed " + seed + ": " + response.asString());
                    int version = response.jsonPath().getInt("versionNumber");
                    String exported = given().get("/datasets/" + dataset + "/versions/" + version + "/export")
                            .then().statusCode(200).extract().asString();
                    Set<String> stored = new HashSet<>(List.of(exported.split("\n")));
                    for (String line : valid) {
                        assertTrue(stored.contains(line), "seed " + seed + ": valid line not stored: " + line);
                    }
                }
            }
        }
    }

    private static final String[] INSERTS = {"\\u0000", "\\ud800", "\\udfff", "\u0000", "\"", "{", "]", "\\", "\ud83d\ude00",
            "[".repeat(600), "{\"a\":".repeat(600)};

    static byte[] mutate(String line, Random random) {
        int at = random.nextInt(line.length());
        switch (random.nextInt(7)) {
            case 0:
                return line.substring(0, at).getBytes(StandardCharsets.UTF_8);
            case 1:
                return (line.substring(0, at) + INSERTS[random.nextInt(INSERTS.length)] + line.substring(at)).getBytes(StandardCharsets.UTF_8);
            case 2: {
                byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                for (int k = 0; k < 3; k++) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                return bytes;
            }
            case 3:
                return line.replace("\"name\":\"get_weather\",\"arguments\"",
                        "\"name\":\"x" + INSERTS[random.nextInt(3)] + "\",\"arguments\"").getBytes(StandardCharsets.UTF_8);
            case 4:
                return deepSchema(1 + random.nextInt(480)).getBytes(StandardCharsets.UTF_8);
            case 5:
                return line.replace("Weather in", "Weather " + INSERTS[random.nextInt(3)]).getBytes(StandardCharsets.UTF_8);
            default:
                return ("[" + line + "]").getBytes(StandardCharsets.UTF_8);
        }
    }
}
