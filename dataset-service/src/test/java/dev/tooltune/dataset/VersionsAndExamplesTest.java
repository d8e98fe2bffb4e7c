package dev.tooltune.dataset;

import static dev.tooltune.dataset.ImportResourceTest.export;
import static dev.tooltune.dataset.ImportResourceTest.upload;
import static dev.tooltune.dataset.TestData.chitchat;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.looseEmail;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class VersionsAndExamplesTest {

    @org.junit.jupiter.api.BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    /** 5 weather, 3 email, 4 chit-chat examples interleaved, plus 2 invalid ones kept (lenient, keepInvalid). */
    static long mixedDataset() {
        long dataset = createDataset();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lines.add(weather("City" + i));
            if (i < 3) {
                lines.add(looseEmail("user" + i + "@example.com"));
            }
            if (i < 4) {
                lines.add(chitchat("topic" + i));
            }
        }
        lines.add(weather("Broken1").replace("\"city\\\"", "\"town\\\""));
        lines.add(chitchat("unanswered").replace("\"role\":\"assistant\",\"content\":\"unanswered is interesting.\"", "\"role\":\"user\",\"content\":\"again\""));
        JsonPath job = upload(dataset, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), "mode=lenient&keepInvalid=true", 201);
        assertEquals(14, job.getInt("examplesStored"));
        assertEquals(2, job.getInt("invalidLines"));
        return dataset;
    }

    @Test
    void examplesFilterByToolAndValidityAndPage() {
        long dataset = mixedDataset();
        String examples = "/datasets/" + dataset + "/versions/1/examples";
        given().get(examples + "?tool=get_weather").then().statusCode(200)
                .body("total", equalTo(6)).body("items", hasSize(6)).body("items[0].calledTools[0]", equalTo("get_weather"));
        given().get(examples + "?tool=send_email").then().body("total", equalTo(3));
        given().get(examples + "?tool=get_weather&valid=true").then().body("total", equalTo(5));
        JsonPath invalid = given().get(examples + "?valid=false").then().body("total", equalTo(2)).extract().jsonPath();
        assertTrue(invalid.getString("items[0].problems[0].path").startsWith("$.messages"), invalid.prettify());
        given().get(examples + "?tool=no_such_tool").then().body("total", equalTo(0)).body("items", hasSize(0));

        List<Integer> seen = new ArrayList<>();
        for (int page = 0; page < 4; page++) {
            JsonPath result = given().get(examples + "?size=4&page=" + page).then().statusCode(200).body("total", equalTo(14))
                    .extract().jsonPath();
            seen.addAll(result.getList("items.position", Integer.class));
        }
        assertEquals(14, seen.size());
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(i, seen.get(i), "pages follow the file order without gaps or repeats");
        }
        given().get(examples + "?size=501").then().statusCode(400);
        given().get("/datasets/" + dataset + "/versions/7/examples").then().statusCode(404).body("error.message", containsString("no version 7"));
    }

    @Test
    void replacingAndDeletingExamplesMakeNewVersionsAndLeaveOldOnesAlone() {
        long dataset = mixedDataset();
        String v1Export = export(dataset, "1");
        JsonPath invalid = given().get("/datasets/" + dataset + "/versions/1/examples?valid=false").then().extract().jsonPath();
        long brokenId = invalid.getLong("items[0].id");
        int brokenPosition = invalid.getInt("items[0].position");

        given().post("/datasets/" + dataset + "/versions/1/freeze").then().statusCode(409).body("error.message", containsString("2 invalid"));

        given().contentType(ContentType.JSON).body("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .put("/datasets/" + dataset + "/versions/1/examples/" + brokenId)
                .then().statusCode(422).body("error.details[0].reason", containsString("must end with an assistant message"));

        JsonPath replaced = given().contentType(ContentType.JSON).body(weather("Fixed"))
                .put("/datasets/" + dataset + "/versions/1/examples/" + brokenId)
                .then().statusCode(201).extract().jsonPath();
        assertEquals(2, replaced.getInt("version.number"));
        assertEquals(1, replaced.getInt("version.parentNumber"));
        assertEquals("EDIT", replaced.getString("version.origin"));
        assertEquals(1, replaced.getInt("version.invalidCount"));
        assertEquals(brokenPosition, replaced.getInt("example.position"));
        assertTrue(replaced.getBoolean("example.valid"));
        assertNotEquals(brokenId, replaced.getLong("example.id"));

        long otherBroken = given().get("/datasets/" + dataset + "/versions/2/examples?valid=false").then()
                .body("total", equalTo(1)).extract().jsonPath().getLong("items[0].id");
        JsonPath deleted = given().delete("/datasets/" + dataset + "/versions/2/examples/" + otherBroken)
                .then().statusCode(200).extract().jsonPath();
        assertEquals(3, deleted.getInt("version.number"));
        assertEquals(13, deleted.getInt("version.exampleCount"));
        assertEquals(0, deleted.getInt("version.invalidCount"));

        assertEquals(v1Export, export(dataset, "1"), "version 1 never changes");
        String v3 = export(dataset, "3");
        assertEquals(13, v3.split("\n").length);
        assertTrue(v3.contains("Fixed"));
        assertFalse(v3.contains("\"again\""));

        given().post("/datasets/" + dataset + "/versions/3/freeze").then().statusCode(200).body("frozen", equalTo(true));
        given().delete("/datasets/" + dataset + "/versions/3").then().statusCode(409);
        given().delete("/datasets/" + dataset + "/versions/2").then().statusCode(204);
        given().get("/datasets/" + dataset + "/versions").then().body("number", equalTo(List.of(1, 3)));
        assertEquals(v3, export(dataset, "latest"), "deleting version 2 keeps the examples version 3 shares with it");
        given().get("/datasets/" + dataset).then().body("latestFrozenVersion", equalTo(3)).body("versionCount", equalTo(2));

        given().delete("/datasets/" + dataset).then().statusCode(409).body("error.message", containsString("frozen"));
        given().delete("/datasets/" + dataset + "?force=true").then().statusCode(204);
        given().get("/datasets/" + dataset).then().statusCode(404);
    }

    @Test
    void appendingImportsBuildOnTheLatestVersionAndSpotDuplicatesAcrossThem() {
        long dataset = createDataset();
        upload(dataset, (weather("A") + "\n" + weather("B") + "\n").getBytes(StandardCharsets.UTF_8), "", 201);
        JsonPath appended = upload(dataset, (weather("B") + "\n" + weather("C") + "\n").getBytes(StandardCharsets.UTF_8),
                "append=true&dropDuplicates=true", 201);
        assertEquals(1, appended.getInt("duplicateLines"));
        assertTrue(appended.getString("problems[0].reason").contains("of the version appended to; left out"), appended.prettify());
        given().get("/datasets/" + dataset + "/versions/2").then().body("exampleCount", equalTo(3)).body("parentNumber", equalTo(1));
        String v2 = export(dataset, "2");
        assertEquals(List.of(weather("A"), weather("B"), weather("C")), List.of(v2.split("\n")));
    }

    @Test
    void apiIsDocumentedWithOpenApiAndReportsHealth() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/datasets/{datasetId}/imports"))
                .body("paths", org.hamcrest.Matchers.hasKey("/datasets/{datasetId}/versions/{version}/export"))
                .body("paths", org.hamcrest.Matchers.hasKey("/datasets/{datasetId}/versions/{version}/examples/{exampleId}"))
                .body("paths", org.hamcrest.Matchers.hasKey("/imports/{importId}"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void datasetNamesAreValidatedAndUnique() {
        given().contentType(ContentType.JSON).body("{\"name\":\"\"}").post("/datasets").then().statusCode(400);
        given().contentType(ContentType.JSON).body("{\"name\":\"has space\"}").post("/datasets").then().statusCode(400);
        given().contentType(ContentType.JSON).body("{\"name\":\"unique-name\"}").post("/datasets").then().statusCode(201);
        given().contentType(ContentType.JSON).body("{\"name\":\"unique-name\"}").post("/datasets").then().statusCode(409);
        given().get("/datasets").then().statusCode(200).body("name", org.hamcrest.Matchers.hasItem("unique-name"));
    }
}
