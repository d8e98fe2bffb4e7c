package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.caller;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Only callers with the internal token are served, and a tenant never sees another tenant's datasets. */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class TenantsAndTrustTest {
    private RequestSpecification alice;
    private RequestSpecification bob;

    /** Built once Quarkus has set RestAssured's port, which the specifications copy. */
    @BeforeEach
    void twoTenants() {
        RestAssured.requestSpecification = null;
        alice = caller("alice-" + UUID.randomUUID());
        bob = caller("bob-" + UUID.randomUUID());
    }

    private long datasetOf(RequestSpecification tenant, String name) {
        long id = given(tenant).contentType(ContentType.JSON).body("{\"name\":\"" + name + "\"}")
                .post("/datasets").then().statusCode(201).extract().jsonPath().getLong("id");
        given(tenant).body(weather("Oslo") + "\n").post("/datasets/" + id + "/imports?wait=true").then().statusCode(201);
        return id;
    }

    @Test
    void withoutTheInternalTokenEveryRequestIs401() {
        given().header("X-Tooltune-Tenant", "t1").get("/datasets")
                .then().statusCode(401).contentType(containsString("application/problem+json"))
                .body("status", equalTo(401)).body("detail", containsString("X-Tooltune-Internal-Token"));
        given().header("X-Tooltune-Tenant", "t1").header("X-Tooltune-Internal-Token", "guess")
                .body(weather("Oslo")).post("/datasets/1/imports").then().statusCode(401);
        given().header("X-Tooltune-Internal-Token", "test-internal-token-and-more").get("/imports/1").then().statusCode(401);
        // health and OpenAPI stay open for probes
        given().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void aMissingOrMalformedTenantIs400() {
        given().header("X-Tooltune-Internal-Token", TestData.INTERNAL_TOKEN).get("/datasets")
                .then().statusCode(400).body("detail", containsString("X-Tooltune-Tenant"));
        given().header("X-Tooltune-Internal-Token", TestData.INTERNAL_TOKEN).header("X-Tooltune-Tenant", "a/b").get("/datasets")
                .then().statusCode(400).body("detail", containsString("not a tenant id"));
        given().header("X-Tooltune-Internal-Token", TestData.INTERNAL_TOKEN).header("X-Tooltune-Tenant", "x".repeat(129)).get("/datasets")
                .then().statusCode(400);
    }

    @Test
    void anotherTenantsDatasetDoesNotExist() {
        long mine = datasetOf(alice, "shared-name");
        long jobId = given(alice).get("/datasets/" + mine + "/imports").then().statusCode(200).extract().jsonPath().getLong("[0].id");
        String d = "/datasets/" + mine;
        given(bob).get(d).then().statusCode(404);
        given(bob).get("/datasets").then().statusCode(200).body("id", not(hasItem((int) mine)));
        given(bob).get(d + "/versions").then().statusCode(404);
        given(bob).get(d + "/versions/1").then().statusCode(404);
        given(bob).get(d + "/versions/1/examples").then().statusCode(404);
        given(bob).get(d + "/versions/1/export").then().statusCode(404);
        given(bob).get(d + "/versions/1/split").then().statusCode(404);
        given(bob).get(d + "/versions/1/stats").then().statusCode(404);
        given(bob).post(d + "/versions/1/freeze").then().statusCode(404);
        given(bob).delete(d + "/versions/1").then().statusCode(404);
        given(bob).body(weather("Rome")).post(d + "/imports?wait=true").then().statusCode(404);
        given(bob).get(d + "/imports").then().statusCode(404);
        given(bob).get("/imports/" + jobId).then().statusCode(404);
        given(bob).delete(d + "?force=true").then().statusCode(404);

        // names are unique per tenant, not across tenants
        long bobs = datasetOf(bob, "shared-name");
        given(alice).get("/datasets/" + bobs).then().statusCode(404);
        given(alice).contentType(ContentType.JSON).body("{\"name\":\"shared-name\"}").post("/datasets").then().statusCode(409);

        // and alice still has hers, untouched
        given(alice).get(d).then().statusCode(200).body("name", equalTo("shared-name")).body("latestVersion", equalTo(1));
        given(alice).get("/imports/" + jobId).then().statusCode(200);
    }
}
