package dev.tooltune.dataset;

import static dev.tooltune.dataset.TestData.caller;
import static dev.tooltune.dataset.TestData.weather;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Only callers with the internal token are served, and a tenant never sees another tenant's datasets. */
@QuarkusTest
@WithTestResource(PostgresTestDatabase.class)
class TenantsAndTrustTest {
    @TestHTTPResource("/")
    URL root;
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

    /**
     * Every operation the OpenAPI document lists refuses a caller without the token, or with a wrong one, with the
     * problem naming the header: catches an endpoint left open (a new resource, a permission that no longer covers
     * its path).
     */
    @Test
    void everyListedOperationRefusesCallersWithoutTheToken() throws Exception {
        JsonNode paths = new ObjectMapper().readTree(given().accept("application/json").get("/q/openapi?format=json")
                .then().statusCode(200).extract().asString()).path("paths");
        List<String> checked = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            String concrete = path.getKey().replaceAll("\\{[^}]+}", "1");
            for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
                String method = methods.next().toUpperCase();
                for (String token : new String[] {null, "", "guess", TestData.INTERNAL_TOKEN + "x", TestData.INTERNAL_TOKEN.substring(1)}) {
                    RequestSpecification request = given().header("X-Tooltune-Tenant", "t1").body("{}").contentType(ContentType.JSON);
                    if (token != null) {
                        request.header("X-Tooltune-Internal-Token", token);
                    }
                    request.request(method, concrete).then().statusCode(401)
                            .contentType(containsString("application/problem+json"))
                            .body("status", equalTo(401)).body("detail", containsString("X-Tooltune-Internal-Token"));
                }
                checked.add(method + " " + path.getKey());
            }
        }
        assertTrue(checked.contains("POST /datasets/{datasetId}/imports"), "the upload is among them: " + checked);
        assertTrue(checked.size() >= 10, "the OpenAPI document lists the API: " + checked);
        // a path no resource serves is refused too, not told apart from a real one
        given().header("X-Tooltune-Tenant", "t1").get("/no-such-thing").then().statusCode(401);
    }

    /** Probes stay open whatever a caller sends, as before: a stale token must not make a replica look dead. */
    @Test
    void probesStayOpenWithAWrongToken() {
        given().header("X-Tooltune-Internal-Token", "stale").get("/q/health/live").then().statusCode(200);
        given().header("X-Tooltune-Internal-Token", "stale").get("/q/health/ready").then().statusCode(200);
    }

    /**
     * An upload of up to 4 GiB from a caller without the right token is refused before its body is read: the 401
     * arrives while the client has sent only what the sockets buffer, not the 256 MiB it announced.
     */
    @Test
    void aRefusedUploadIsAnsweredBeforeItsBodyIsRead() throws Exception {
        for (String token : new String[] {null, "guess"}) {
            Upload upload = uploadWithoutReading(token, 256L << 20);
            assertTrue(upload.statusLine.contains(" 401 "), upload.statusLine);
            assertTrue(upload.bytesSentBeforeAnswer < (32L << 20), "the 401 came after " + upload.bytesSentBeforeAnswer
                    + " bytes of the body had been sent: the body was read before the caller was refused");
        }
    }

    private record Upload(String statusLine, long bytesSentBeforeAnswer) {
    }

    /** A raw HTTP/1.1 upload written by a thread of its own, so that the answer is seen while the body is sent. */
    private Upload uploadWithoutReading(String token, long length) throws Exception {
        try (Socket socket = new Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(60_000);
            String head = "POST /datasets/1/imports HTTP/1.1\r\nHost: localhost\r\nX-Tooltune-Tenant: t1\r\n"
                    + (token == null ? "" : "X-Tooltune-Internal-Token: " + token + "\r\n")
                    + "Content-Type: application/x-ndjson\r\nContent-Length: " + length + "\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            AtomicLong sent = new AtomicLong();
            Thread writer = new Thread(() -> {
                byte[] chunk = (weather("Oslo") + "\n").repeat(200).getBytes(StandardCharsets.UTF_8);
                try {
                    while (sent.get() < length) {
                        int n = (int) Math.min(chunk.length, length - sent.get());
                        out.write(chunk, 0, n);
                        sent.addAndGet(n);
                    }
                    out.flush();
                } catch (IOException closed) {
                    // the server answered and closed, or the test closed the socket
                }
            });
            writer.setDaemon(true);
            writer.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String statusLine = in.readLine();
            long sentBeforeAnswer = sent.get();
            socket.close();
            writer.join(10_000);
            assertFalse(writer.isAlive());
            return new Upload(String.valueOf(statusLine), sentBeforeAnswer);
        }
    }
}
