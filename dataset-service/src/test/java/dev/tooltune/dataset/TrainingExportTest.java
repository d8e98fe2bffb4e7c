package dev.tooltune.dataset;

import static dev.tooltune.dataset.ImportResourceTest.upload;
import static dev.tooltune.dataset.TestData.createDataset;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What trainer-service relies on: only frozen versions as training data, and a way to detect a truncated stream. */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class TrainingExportTest {

    @BeforeEach
    void actAsGateway() {
        TestData.actAsGateway();
    }

    @Test
    void trainingExportRefusesUnfrozenVersionsAndCarriesCountAndChecksum() throws Exception {
        long dataset = createDataset();
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            file.append(weather("T" + i)).append('\n');
        }
        upload(dataset, file.toString().getBytes(StandardCharsets.UTF_8), "", 201);
        String v1 = "/datasets/" + dataset + "/versions/1";

        given().get(v1 + "/export?training=true&split=train").then().statusCode(409)
                .contentType(containsString("application/problem+json")).body("detail", containsString("not frozen"));

        given().post(v1 + "/freeze").then().statusCode(200);
        for (String query : new String[] {"training=true", "training=true&split=train&seed=7&evalRatio=0.2", "split=eval&seed=7&evalRatio=0.2"}) {
            Response response = given().get(v1 + "/export?" + query).then().statusCode(200).extract().response();
            byte[] body = response.asByteArray();
            long lines = new String(body, StandardCharsets.UTF_8).lines().count();
            assertEquals(Long.toString(lines), response.header("X-Tooltune-Example-Count"), query);
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)),
                    response.header("X-Tooltune-Content-SHA256"), query);
        }
        assertEquals("24", given().get(v1 + "/export?training=true&split=train&seed=7&evalRatio=0.2").header("X-Tooltune-Example-Count"));
    }
}
