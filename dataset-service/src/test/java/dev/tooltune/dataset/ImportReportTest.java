package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * #21 item 6: an import's report when it has more problems than it keeps (errors first, so that warnings never hide
 * the refused lines), and its finishedAt (when it finished, not when its transaction began).
 */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class ImportReportTest {
    private static final int DUPLICATES = 1_100;

    @BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    /** A valid line, then {@value #DUPLICATES} duplicates of it (warnings), then two lines that are refused. */
    private static byte[] manyWarningsThenErrors() {
        StringBuilder file = new StringBuilder(weather("Oslo")).append('\n');
        for (int i = 0; i < DUPLICATES; i++) {
            file.append(weather("Oslo")).append('\n');
        }
        file.append("{\"messages\": [\n");
        file.append(weather("Rome").replace("\"name\":\"get_weather\",\"arguments\"",
                "\"name\":\"get_forecast\",\"arguments\"")).append('\n');
        return file.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void errorsComeFirstInACappedReportAndFinishedAtIsWhenItFinished() throws Exception {
        long dataset = createDataset();
        Instant posted = Instant.now();
        String location = given().body(manyWarningsThenErrors()).contentType("application/x-ndjson")
                .post("/datasets/" + dataset + "/imports?mode=lenient")
                .then().extract().header("Location");
        // Follow it; note the last moment it was seen unfinished.
        Instant seenUnfinished = null;
        JsonPath job;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            Instant asked = Instant.now();
            job = given().get("/datasets/" + dataset + "/imports").then().statusCode(200).extract().jsonPath()
                    .setRootPath("[0]");
            String state = job.getString("state");
            if (!state.equals("QUEUED") && !state.equals("RUNNING")) {
                break;
            }
            if (state.equals("RUNNING")) {
                seenUnfinished = asked;
            }
            assertTrue(System.nanoTime() < deadline, "import did not finish in 120 s");
            Thread.sleep(20);
        }
        assertEquals("SUCCEEDED", job.getString("state"), String.valueOf(location));
        assertEquals(DUPLICATES + 2, job.getInt("problemCount"));

        List<Map<String, Object>> problems = job.getList("problems");
        assertEquals(1000, problems.size(), "the cap");
        assertEquals("error", problems.get(0).get("severity"), "errors first: " + problems.subList(0, 3));
        assertEquals(DUPLICATES + 2, ((Number) problems.get(0).get("line")).intValue());
        assertEquals("error", problems.get(1).get("severity"));
        assertEquals(DUPLICATES + 3, ((Number) problems.get(1).get("line")).intValue());
        assertEquals("warning", problems.get(2).get("severity"));

        Instant started = Instant.parse(job.getString("startedAt"));
        Instant finished = Instant.parse(job.getString("finishedAt"));
        assertTrue(!finished.isBefore(started), "finished " + finished + " before it started " + started);
        assertTrue(!finished.isBefore(posted), "finished " + finished + " before it was posted " + posted);
        if (seenUnfinished != null) {
            assertTrue(finished.isAfter(seenUnfinished), "finishedAt " + finished + " is before the import was seen "
                    + "still running at " + seenUnfinished + " (its start time?)");
        }
    }
}
