package dev.tooltune.chat.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.InputStreamSource;
import com.networknt.schema.resource.SchemaLoader;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one JSON Schema implementation of ToolTune (dataset-service validates examples with it; constrained decoding
 * checks what it cannot enforce token by token with it). Compiles the JSON Schemas of tool parameters, once per distinct schema: a dataset repeats the same few tools
 * in thousands of examples. Schemas are checked against their meta-schema first, so a broken schema is reported
 * as such rather than silently accepting every argument.
 *
 * <p>Schemas come from untrusted files, so compiling one never reads anything: a {@code $ref} to any document
 * outside the schema itself ({@code http:}, {@code https:}, {@code file:}, {@code jar:}, {@code classpath:}, ...)
 * makes the schema unusable instead of being fetched. The library's default loaders would fetch such URIs (its
 * URI loader stays in its list whatever the builder is told), so {@link NoFetching} answers every lookup first.
 * Only the meta-schemas bundled in the library's jar are read. Schemas nested deeper than {@link #MAX_DEPTH}
 * are refused before the (recursive) library sees them, so no schema can exhaust the stack.
 *
 * <p>{@code format} is an assertion here, under every draft (Draft 2020-12 makes it an annotation unless told
 * otherwise; a tool whose schema says {@code "format": "date"} means it). Asserted are exactly the formats that
 * JSON Schema 2020-12 defines and the library implements, {@link #ASSERTED_FORMATS}: among them every format the
 * constrained decoder enforces while generating (date, time, date-time, email, uuid, ipv4), so the validator
 * rejects what the grammar would never write, plus {@code uri}, {@code hostname} and the rest, which only this
 * check catches. The library's non-standard extras ({@code phone}, {@code color}, {@code alpha}, ...) apply
 * patterns that tool authors do not expect from those names (a phone number must be E.164), so they, and any
 * format nobody defines, stay annotations: the value is accepted.
 */
public final class ToolSchemas {
    private static final int CACHE_LIMIT = 4096;
    private static final String DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";
    /** Deepest nesting of objects and arrays in a schema; real tool schemas stay far below it. */
    public static final int MAX_DEPTH = 64;

    /** The formats asserted (JSON Schema 2020-12, section 7.3, as implemented by networknt); others are annotations. */
    public static final Set<String> ASSERTED_FORMATS = Set.of("date-time", "date", "time", "duration", "email",
            "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference",
            "uuid", "uri-template", "json-pointer", "relative-json-pointer", "regex");

    /** A compiled schema, or the reason the schema is not usable. */
    public record Compiled(JsonSchema schema, String problem) {}

    /** Keyed by the schema tree itself: equal trees hash alike, and hashing is cheaper than serializing. */
    private final Map<JsonNode, Compiled> cache = new ConcurrentHashMap<>();
    private final Map<SpecVersion.VersionFlag, JsonSchemaFactory> factories = new ConcurrentHashMap<>();
    private final Map<SpecVersion.VersionFlag, JsonSchema> metaSchemas = new ConcurrentHashMap<>();
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
            .pathType(com.networknt.schema.PathType.JSON_PATH)
            .formatAssertionsEnabled(true)
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
        int depth = depth(parameters);
        if (depth > MAX_DEPTH) {
            return new Compiled(null, "the schema is nested " + depth + " levels deep; at most " + MAX_DEPTH + " are accepted");
        }
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
        } catch (RuntimeException | StackOverflowError e) {
            return new Compiled(null, "not a usable JSON Schema: " + reason(e));
        }
    }

    private static String reason(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ReferenceRefused refused) {
                return refused.getMessage();
            }
        }
        return e instanceof StackOverflowError ? "it is nested too deeply" : String.valueOf(e.getMessage());
    }

    /** Nesting depth of objects and arrays, counted without recursion (the tree may be arbitrarily deep). */
    static int depth(JsonNode root) {
        int deepest = 0;
        Deque<JsonNode> nodes = new ArrayDeque<>();
        Deque<Integer> depths = new ArrayDeque<>();
        nodes.push(root);
        depths.push(1);
        while (!nodes.isEmpty()) {
            JsonNode node = nodes.pop();
            int depth = depths.pop();
            if (node.isContainerNode()) {
                deepest = Math.max(deepest, depth);
                if (depth > MAX_DEPTH) {
                    return depth;
                }
                for (JsonNode child : node) {
                    nodes.push(child);
                    depths.push(depth + 1);
                }
            }
        }
        return deepest;
    }

    /** Why a reference was not followed; reaches the user as the schema's problem. */
    static final class ReferenceRefused extends IOException {
        ReferenceRefused(String iri) {
            super("$ref \"" + iri + "\" points outside the schema; ToolTune never fetches schemas (put the definition in $defs)");
        }
    }

    /**
     * Answers every schema lookup before the library's own loaders can: the bundled meta-schemas (which the library
     * maps from json-schema.org to {@code classpath:draft...}) are left to its class-path loader; anything else is
     * refused with a source that fails when opened, so nothing is ever fetched or read.
     */
    static final class NoFetching implements SchemaLoader {
        @Override
        public InputStreamSource getSchema(com.networknt.schema.AbsoluteIri iri) {
            String text = iri.toString();
            if (text.startsWith("classpath:draft") && !text.contains("..")) {
                return null;
            }
            return () -> {
                throw new ReferenceRefused(text);
            };
        }
    }

    private JsonSchemaFactory factory(SpecVersion.VersionFlag version) {
        return factories.computeIfAbsent(version, v -> JsonSchemaFactory.getInstance(v, builder -> builder
                .metaSchema(withAssertedFormatsOnly(JsonSchemaFactory.checkVersion(v).getInstance()))
                .schemaLoaders(loaders -> loaders.values(list -> list.add(0, new NoFetching())))));
    }

    /** The draft's meta-schema knowing only {@link #ASSERTED_FORMATS}: an unknown format is not validated. */
    private static JsonMetaSchema withAssertedFormatsOnly(JsonMetaSchema draft) {
        return JsonMetaSchema.builder(draft)
                .formats(formats -> formats.keySet().retainAll(ASSERTED_FORMATS))
                .build();
    }

    private JsonSchema metaSchema(SpecVersion.VersionFlag version) {
        return metaSchemas.computeIfAbsent(version, v -> {
            String iri = JsonSchemaFactory.checkVersion(v).getInstance().getIri();
            return factory(v).getSchema(SchemaLocation.of(iri == null ? DRAFT_2020_12 : iri), config);
        });
    }
}
