package dev.tooltune.dataset;

import static io.restassured.RestAssured.given;

import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.UUID;

/** Example lines and small REST helpers shared by the integration tests. */
final class TestData {
    private TestData() {}

    static final String WEATHER_TOOL = """
            {"type":"function","function":{"name":"get_weather","description":"Current weather in a city",\
            "parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},\
            "required":["city"]}}}""";

    static final String EMAIL_TOOL = """
            {"type":"function","function":{"name":"send_email","description":"Send an email",\
            "parameters":{"type":"object","properties":{"to":{"type":"string"},"subject":{"type":"string"},"body":{"type":"string"}},\
            "required":["to","body"]}}}""";

    /** A canonical weather example with a call, its result and the final answer. */
    static String weather(String city) {
        return """
                {"messages":[{"role":"user","content":"Weather in %1$s?"},\
                {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"%1$s\\"}"}}]},\
                {"role":"tool","content":"{\\"temp\\":21}","tool_call_id":"c1"},\
                {"role":"assistant","content":"It is 21 degrees in %1$s."}],"tools":[%2$s]}""".formatted(city, WEATHER_TOOL);
    }

    /** An example in the loose form: call without id and type, arguments as an object. */
    static String looseEmail(String to) {
        return """
                {"messages":[{"role":"user","content":"Mail %1$s that I am late"},\
                {"role":"assistant","tool_calls":[{"function":{"name":"send_email","arguments":{"to":"%1$s","body":"I am late"}}}]}],\
                "tools":[%2$s]}""".formatted(to, EMAIL_TOOL);
    }

    /** An example that needs no tool. */
    static String chitchat(String topic) {
        return """
                {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Tell me about %1$s"},\
                {"role":"assistant","content":"%1$s is interesting."}],"tools":[%2$s]}""".formatted(topic, WEATHER_TOOL);
    }

    /** The internal token set for the test profile in application.properties. */
    static final String INTERNAL_TOKEN = "test-internal-token";
    static final String TENANT = "tenant-a";

    /** What the gateway sends: the internal token and the tenant. */
    static RequestSpecification caller(String tenant) {
        return new RequestSpecBuilder()
                .addHeader("X-Tooltune-Internal-Token", INTERNAL_TOKEN)
                .addHeader("X-Tooltune-Tenant", tenant)
                .build();
    }

    /** Makes every request of the test come from {@link #TENANT} through the gateway; call before each test. */
    static void actAsGateway() {
        RestAssured.requestSpecification = caller(TENANT);
    }

    static long createDataset() {
        return given().contentType(ContentType.JSON)
                .body("{\"name\":\"t-" + UUID.randomUUID() + "\",\"description\":\"test\"}")
                .post("/datasets")
                .then().statusCode(201)
                .extract().jsonPath().getLong("id");
    }
}
