package dev.tooltune.dataset;

import static dev.tooltune.dataset.ImportResourceTest.upload;
import static dev.tooltune.dataset.TestData.chitchat;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.looseEmail;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class SplitAndStatisticsTest {

    @org.junit.jupiter.api.BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    private static long hundredExamples() {
        long dataset = createDataset();
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            file.append(i % 2 == 0 ? weather("City" + i) : i % 3 == 0 ? looseEmail("u" + i + "@example.com") : chitchat("topic " + i)).append('\n');
        }
        upload(dataset, file.toString().getBytes(StandardCharsets.UTF_8), "", 201);
        return dataset;
    }

    private static Set<String> exportLines(long dataset, String query) {
        String body = given().get("/datasets/" + dataset + "/versions/1/export?" + query).then().statusCode(200).extract().asString();
        return new HashSet<>(List.of(body.split("\n")));
    }

    @Test
    void splitIsDeterministicBySeedAndRatioAndPartitionsTheVersion() {
        long dataset = hundredExamples();
        String split = "/datasets/" + dataset + "/versions/1/split";
        JsonPath first = given().get(split + "?seed=7&evalRatio=0.2").then().statusCode(200).extract().jsonPath();
        JsonPath again = given().get(split + "?seed=7&evalRatio=0.2").then().extract().jsonPath();
        JsonPath otherSeed = given().get(split + "?seed=8&evalRatio=0.2").then().extract().jsonPath();
        assertEquals(20, first.getInt("eval"));
        assertEquals(80, first.getInt("train"));
        assertEquals(first.getList("evalExampleIds"), again.getList("evalExampleIds"));
        assertNotEquals(first.getList("evalExampleIds"), otherSeed.getList("evalExampleIds"));

        Set<String> train = exportLines(dataset, "split=train&seed=7&evalRatio=0.2");
        Set<String> eval = exportLines(dataset, "split=eval&seed=7&evalRatio=0.2");
        Set<String> all = exportLines(dataset, "validOnly=false");
        assertEquals(80, train.size());
        assertEquals(20, eval.size());
        Set<String> union = new HashSet<>(train);
        union.addAll(eval);
        assertEquals(all, union);
        assertTrue(train.stream().noneMatch(eval::contains));
        assertEquals(eval, exportLines(dataset, "split=eval&seed=7&evalRatio=0.2"), "export of a part is repeatable");

        given().get(split + "?evalRatio=1.5").then().statusCode(400).body("error.message", containsString("evalRatio"));
        given().get("/datasets/" + dataset + "/versions/1/export?split=test").then().statusCode(400);
    }

    @Test
    void statisticsCountExamplesCallsMessagesAndGemmaTokens() {
        long dataset = hundredExamples();
        JsonPath stats = given().get("/datasets/" + dataset + "/versions/latest/stats").then().statusCode(200).extract().jsonPath();
        assertEquals(100, stats.getInt("examples"));
        assertEquals(100, stats.getInt("valid"));
        // 50 weather examples (even i), 17 email examples (odd multiples of 3), 33 chit-chat
        assertEquals(Map.of("get_weather", 50, "send_email", 17), stats.getMap("toolCalls.perTool"));
        assertEquals(67, stats.getInt("toolCalls.total"));
        assertEquals(33, stats.getInt("toolCalls.examplesWithoutCalls"));
        assertEquals(Map.of("2", 17, "3", 33, "4", 50), stats.getMap("messages.perExample"));
        assertEquals(2, stats.getInt("messages.min"));
        assertEquals(4, stats.getInt("messages.max"));

        assertNull(stats.get("tokens.unavailable"), "the Gemma 3 tokenizer is fetched by the build");
        assertEquals(100, stats.getInt("tokens.counted"));
        int min = stats.getInt("tokens.min");
        int max = stats.getInt("tokens.max");
        assertTrue(min > 20 && max < 400 && min < max, "plausible token lengths: " + min + ".." + max);
        List<Map<String, Object>> histogram = stats.getList("tokens.histogram");
        long inBuckets = 0;
        for (Map<String, Object> bucket : histogram) {
            inBuckets += ((Number) bucket.get("examples")).longValue();
        }
        assertEquals(100, inBuckets);
        assertTrue(stats.getInt("tokens.p50") <= stats.getInt("tokens.p90"));

        JsonPath again = given().get("/datasets/" + dataset + "/versions/1/stats").then().extract().jsonPath();
        assertEquals(stats.getInt("tokens.total"), again.getInt("tokens.total"), "stored counts give the same totals");
    }
}
