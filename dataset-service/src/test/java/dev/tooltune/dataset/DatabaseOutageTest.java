package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarting or unreachable, with the service's link to it cut ({@link PostgresTestDatabase#link}): every
 * request is a 503 problem with code database_unavailable and Retry-After, and once the link is back everything works
 * and nothing stored before is missing.
 */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class DatabaseOutageTest {

    @BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    /** Seen on the stack (scripts/fault/suite.sh pg-restart): 500 "internal error; the service log has the details". */
    @Test
    void whileTheDatabaseIsAwayRequestsGetAClear503AndAfterItReturnsNothingIsLost() {
        long dataset = createDataset();
        long job = given().body(weather("Oslo") + "\n" + weather("Lima") + "\n")
                .post("/datasets/" + dataset + "/imports?wait=true").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        String before = given().get("/datasets/" + dataset + "/versions/1/export").then().statusCode(200)
                .extract().asString();

        PostgresTestDatabase.link.cut();
        try {
            for (Response down : List.of(
                    given().get("/datasets"),
                    given().get("/datasets/" + dataset + "/versions"),
                    given().get("/datasets/" + dataset + "/versions/1/examples"),
                    given().get("/datasets/" + dataset + "/versions/1/export"),
                    given().get("/imports/" + job),
                    given().contentType(ContentType.JSON).body("{\"name\":\"during-outage\"}").post("/datasets"),
                    given().body(weather("Rome") + "\n").post("/datasets/" + dataset + "/imports?wait=true"))) {
                String body = down.asString();
                assertEquals(503, down.statusCode(), body);
                assertNotNull(down.header("Retry-After"), "no Retry-After: " + body);
                assertEquals("application/problem+json", down.contentType(), body);
                assertEquals("database_unavailable", down.jsonPath().getString("code"), body);
                assertEquals("database_unavailable", down.jsonPath().getString("error.code"), body);
            }
            given().get("/q/health/ready").then().statusCode(503);
        } finally {
            PostgresTestDatabase.link.restore();
        }

        // Every pooled connection died with the link: none of them may surface as an error afterwards.
        for (int i = 0; i < 20; i++) {
            given().get(i % 2 == 0 ? "/datasets/" + dataset : "/imports/" + job).then().statusCode(200);
        }
        assertEquals(before, given().get("/datasets/" + dataset + "/versions/1/export").then().statusCode(200)
                .extract().asString());
        given().get("/datasets/" + dataset + "/versions").then().statusCode(200).body("size()",
                is(1));
        given().body(weather("Rome") + "\n").post("/datasets/" + dataset + "/imports?wait=true&append=true")
                .then().statusCode(201).body("versionNumber", is(2));
    }

    /**
     * Seen in the code: the import's transaction died with the link, recording the failure failed too, and the job
     * stayed RUNNING for as long as the replica lived (it renews the leases of all its running jobs) with its upload
     * deleted.
     */
    @Test
    void anImportTheOutageInterruptsIsRunAgainWhenTheDatabaseIsBackAndStoredOnce() throws InterruptedException {
        long dataset = createDataset();
        given().body(weather("Oslo") + "\n").post("/datasets/" + dataset + "/imports?wait=true").then().statusCode(201);
        int lines = 20_000;
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            file.append(weather("City " + i)).append('\n');
        }
        long job = given().body(file.toString()).post("/datasets/" + dataset + "/imports").then().statusCode(202)
                .extract().jsonPath().getLong("id");
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (given().get("/imports/" + job).then().statusCode(200).extract().jsonPath().getLong("progress.linesRead") == 0) {
            assertTrue(System.nanoTime() < deadline, "the import did not start in 120 s");
            Thread.sleep(100);
        }
        assertEquals("RUNNING", given().get("/imports/" + job).jsonPath().getString("state"),
                "the import finished before the link was cut; give it a bigger file");

        PostgresTestDatabase.link.cut();
        // Long enough for the import to run into the cut and for any attempt to record its end to fail.
        Thread.sleep(3000);
        PostgresTestDatabase.link.restore();

        String state = "RUNNING";
        while (!state.equals("SUCCEEDED") && !state.equals("FAILED") && !state.equals("REJECTED")) {
            assertTrue(System.nanoTime() < deadline + 60_000_000_000L, "import " + job + " still " + state);
            Thread.sleep(250);
            Response answer = given().get("/imports/" + job);
            state = answer.statusCode() == 200 ? answer.jsonPath().getString("state") : state;
        }
        given().get("/imports/" + job).then().statusCode(200).body("state", is("SUCCEEDED"))
                .body("examplesStored", is(lines)).body("versionNumber", is(2));
        given().get("/datasets/" + dataset + "/versions").then().statusCode(200).body("size()", is(2));
        Response export = given().get("/datasets/" + dataset + "/versions/2/export");
        assertEquals(200, export.statusCode());
        assertEquals(String.valueOf(lines), export.header("X-Tooltune-Example-Count"));
    }
}
