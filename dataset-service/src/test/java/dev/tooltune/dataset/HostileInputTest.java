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
}
