package dev.tooltune.chat.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.UriSchemaLoader;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one JSON Schema implementation of ToolTune (dataset-service validates examples with it; constrained decoding
 * checks what it cannot enforce token by token with it). Compiles the JSON Schemas of tool parameters, once per distinct schema: a dataset repeats the same few tools
 * in thousands of examples. Schemas are checked against their meta-schema first, so a broken schema is reported
 * as such rather than silently accepting every argument. Nothing is fetched from the network: a {@code $ref} to
 * a remote document fails instead of hanging an import.
 */
public final class ToolSchemas {
    private static final int CACHE_LIMIT = 4096;
    private static final String DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

    /** A compiled schema, or the reason the schema is not usable. */
    public record Compiled(JsonSchema schema, String problem) {}

    /** Keyed by the schema tree itself: equal trees hash alike, and hashing is cheaper than serializing. */
    private final Map<JsonNode, Compiled> cache = new ConcurrentHashMap<>();
    private final Map<SpecVersion.VersionFlag, JsonSchemaFactory> factories = new ConcurrentHashMap<>();
    private final Map<SpecVersion.VersionFlag, JsonSchema> metaSchemas = new ConcurrentHashMap<>();
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .pathType(com.networknt.schema.PathType.JSON_PATH)
            .build();

    public Compiled compile(JsonNode parameters) {
        Compiled compiled = cache.get(parameters);
        if (compiled == null) {
            compiled = compileUncached(parameters);
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(parameters.deepCopy(), compiled);
        }
        return compiled;
    }

    private Compiled compileUncached(JsonNode parameters) {
        SpecVersion.VersionFlag version = SpecVersion.VersionFlag.V202012;
        if (parameters.has("$schema")) {
            Optional<SpecVersion.VersionFlag> detected = SpecVersionDetector.detectOptionalVersion(parameters, false);
            if (detected.isEmpty()) {
                return new Compiled(null, "unsupported $schema " + parameters.get("$schema"));
            }
            version = detected.get();
        }
        try {
            List<ValidationMessage> metaProblems = metaSchema(version).validate(parameters).stream()
                    .sorted(Comparator.comparing(ValidationMessage::getMessage))
                    .toList();
            if (!metaProblems.isEmpty()) {
                return new Compiled(null, "not a valid JSON Schema: " + metaProblems.get(0).getMessage());
            }
            JsonSchema schema = factory(version).getSchema(parameters, config);
            schema.initializeValidators();
            return new Compiled(schema, null);
        } catch (RuntimeException e) {
            return new Compiled(null, "not a usable JSON Schema: " + e.getMessage());
        }
    }

    private JsonSchemaFactory factory(SpecVersion.VersionFlag version) {
        return factories.computeIfAbsent(version, v -> JsonSchemaFactory.getInstance(v, builder -> builder
                .schemaLoaders(loaders -> loaders.values(list -> list.removeIf(UriSchemaLoader.class::isInstance)))));
    }

    private JsonSchema metaSchema(SpecVersion.VersionFlag version) {
        return metaSchemas.computeIfAbsent(version, v -> {
            String iri = JsonSchemaFactory.checkVersion(v).getInstance().getIri();
            return factory(v).getSchema(SchemaLocation.of(iri == null ? DRAFT_2020_12 : iri), config);
        });
    }
}
