package dev.tooltune.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;

/**
 * The openAPIV3Schema of every served version of the vendored CustomResourceDefinitions (src/test/resources/crds:
 * KEDA, Strimzi, CloudNativePG; where they come from is in that folder's README), made strict: the API server prunes
 * unknown fields silently, so a misspelt field would deploy and do nothing. Here an object schema that lists its
 * properties and does not say x-kubernetes-preserve-unknown-fields rejects any other property.
 */
final class CrdSchemas {

    static final List<String> FILES = List.of(
            "keda.sh_scaledobjects.yaml",
            "keda.sh_triggerauthentications.yaml",
            "strimzi-040-Crd-kafka.yaml",
            "strimzi-043-Crd-kafkatopic.yaml",
            "strimzi-045-Crd-kafkanodepool.yaml",
            "postgresql.cnpg.io_clusters.yaml",
            "postgresql.cnpg.io_databases.yaml");

    private static final Map<String, JsonSchema> BY_API_VERSION_AND_KIND = load();

    private CrdSchemas() {
    }

    /** The strict schema for {@code apiVersion} + {@code kind}, if a vendored CRD defines that kind. */
    static Optional<JsonSchema> forObject(String apiVersion, String kind) {
        return Optional.ofNullable(BY_API_VERSION_AND_KIND.get(apiVersion + " " + kind));
    }

    static boolean definesGroup(String apiVersion) {
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        return BY_API_VERSION_AND_KIND.keySet().stream().anyMatch(key -> key.startsWith(group + "/"));
    }

    private static Map<String, JsonSchema> load() {
        // OpenAPI v3's schema dialect is draft 4's (boolean exclusiveMinimum, no const); the x-kubernetes-* and
        // nullable keywords are annotations the validator skips.
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4);
        Map<String, JsonSchema> schemas = new HashMap<>();
        for (String file : FILES) {
            JsonNode crd = readResource("crds/" + file);
            JsonNode spec = crd.path("spec");
            String group = spec.path("group").asText();
            String kind = spec.path("names").path("kind").asText();
            for (JsonNode version : spec.path("versions")) {
                if (!version.path("served").asBoolean()) {
                    continue;
                }
                JsonNode openApi = version.path("schema").path("openAPIV3Schema");
                if (!(openApi instanceof ObjectNode schema)) {
                    throw new IllegalStateException(file + ": version " + version.path("name") + " has no schema");
                }
                ObjectNode strict = schema.deepCopy();
                rejectUnknownProperties(strict);
                schemas.put(group + "/" + version.path("name").asText() + " " + kind, factory.getSchema(strict));
            }
        }
        return schemas;
    }

    private static void rejectUnknownProperties(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")
                    && !object.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
                object.put("additionalProperties", false);
            }
            for (Iterator<JsonNode> children = object.elements(); children.hasNext(); ) {
                rejectUnknownProperties(children.next());
            }
        } else if (node.isArray()) {
            node.forEach(CrdSchemas::rejectUnknownProperties);
        }
    }

    private static JsonNode readResource(String name) {
        try (InputStream in = CrdSchemas.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + name + " is missing");
            }
            return Repository.YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(name, e);
        }
    }
}
