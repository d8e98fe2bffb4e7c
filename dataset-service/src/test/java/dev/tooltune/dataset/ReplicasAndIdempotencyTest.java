package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tooltune.dataset.importing.ImportJob;
import dev.tooltune.dataset.importing.ImportLeases;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class ReplicasAndIdempotencyTest {

    @Inject
    ImportLeases leases;

    @BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    private static long jobOf(long dataset, String owner, Instant leaseUntil) {
        return QuarkusTransaction.requiringNew().call(() -> {
            ImportJob job = new ImportJob();
            job.datasetId = dataset;
            job.state = ImportJob.State.RUNNING;
            job.mode = ImportJob.Mode.STRICT;
            job.format = dev.tooltune.chat.importing.ImportFormat.OPENAI;
            job.problems = "[]";
            job.createdAt = Instant.now();
            job.owner = owner;
            job.leaseUntil = leaseUntil;
            job.persist();
            return job.id;
        });
    }

    private static String stateOf(long job) {
        return given().get("/imports/" + job).then().statusCode(200).extract().jsonPath().getString("state");
    }

    /** Today every queued or running import is failed at start, another live replica's included. */
    @Test
    void onlyImportsOfReplicasWhoseLeaseRanOutAreFailed() {
        long dataset = createDataset();
        long live = jobOf(dataset, "replica-alive", Instant.now().plus(Duration.ofMinutes(5)));
        long dead = jobOf(dataset, "replica-gone", Instant.now().minus(Duration.ofSeconds(1)));
        leases.failAbandoned();
        assertEquals("RUNNING", stateOf(live));
        assertEquals("FAILED", stateOf(dead));
        QuarkusTransaction.requiringNew().run(() -> ImportJob.deleteById(live));
    }

    @Test
    void aRetriedUploadWithTheSameIdempotencyKeyImportsOnce() {
        long dataset = createDataset();
        String key = UUID.randomUUID().toString();
        byte[] file = (weather("Oslo") + "\n").getBytes();
        long first = given().header("Idempotency-Key", key).body(file).post("/datasets/" + dataset + "/imports?wait=true")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        long again = given().header("Idempotency-Key", key).body(file).post("/datasets/" + dataset + "/imports?wait=true")
                .then().statusCode(200).extract().jsonPath().getLong("id");
        assertEquals(first, again);
        given().get("/datasets/" + dataset + "/versions").then().statusCode(200).body("$", hasSize(1));
        given().header("Idempotency-Key", "other").body(file).post("/datasets/" + dataset + "/imports?wait=true").then().statusCode(201);
        given().get("/datasets/" + dataset + "/versions").then().statusCode(200).body("$", hasSize(2));
    }
}
