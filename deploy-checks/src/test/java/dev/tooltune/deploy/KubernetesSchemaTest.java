package dev.tooltune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResource;

/**
 * Every object of every rendered Kustomization is valid against its schema, strictly: built-in kinds through
 * fabric8's Kubernetes model (a field the model does not know ends up in an additionalProperties map, which must be
 * empty everywhere), custom resources through the vendored CRD schemas ({@link CrdSchemas}). A kind that is neither is
 * an error: nothing reaches the cluster unchecked.
 */
class KubernetesSchemaTest {

    private static final ObjectMapper MODEL = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static List<String> kustomizations() {
        return Repository.KUSTOMIZATIONS;
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyObjectMatchesItsSchema(String kustomization) {
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : Repository.render(kustomization)) {
            problems.addAll(validate(object));
        }
        assertEquals(List.of(), problems, kustomization + ": objects that do not match their schema");
    }

    @Test
    void aMisspeltFieldIsCaughtInBuiltInAndCustomKinds() throws Exception {
        ObjectNode deployment = (ObjectNode) Repository.YAML.readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          resource: {limits: {cpu: "1"}}
                """);
        assertEquals(List.of("Deployment/x: unknown field 'resource' at .spec.template.spec.containers[0]"),
                validate(deployment));

        ObjectNode scaledObject = (ObjectNode) Repository.YAML.readTree("""
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x}
                spec:
                  scaleTargetRef: {name: x}
                  minReplicas: 0
                  triggers: [{type: postgresql, metadata: {query: "select 1"}}]
                """);
        List<String> problems = validate(scaledObject);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("minReplicas"), problems.get(0));

        ObjectNode unknownKind = (ObjectNode) Repository.YAML.readTree("""
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: x}
                """);
        assertFalse(validate(unknownKind).isEmpty());
    }

    static List<String> validate(ObjectNode object) {
        String apiVersion = object.path("apiVersion").asText();
        String kind = object.path("kind").asText();
        String name = Repository.describe(object);
        var crdSchema = CrdSchemas.forObject(apiVersion, kind);
        if (crdSchema.isPresent()) {
            return validateCustomResource(name, object, crdSchema.get());
        }
        if (CrdSchemas.definesGroup(apiVersion)) {
            return List.of(name + ": " + apiVersion + " " + kind + " is not a served version and kind of the"
                    + " vendored CRDs");
        }
        KubernetesResource model;
        try {
            model = MODEL.treeToValue(object, KubernetesResource.class);
        } catch (Exception e) {
            return List.of(name + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (model instanceof GenericKubernetesResource) {
            return List.of(name + ": " + apiVersion + " " + kind + " is neither a built-in Kubernetes kind nor a"
                    + " vendored CRD (deploy-checks/src/test/resources/crds)");
        }
        List<String> problems = new ArrayList<>();
        findUnknownFields(name, "", model, problems);
        return problems;
    }

    private static List<String> validateCustomResource(String name, JsonNode object, JsonSchema schema) {
        Set<ValidationMessage> messages = schema.validate(object);
        return messages.stream().map(message -> name + ": " + message.getMessage()).sorted()
                .collect(Collectors.toList());
    }

    /** Walks the model's getters; fabric8 keeps fields it does not know in getAdditionalProperties(). */
    private static void findUnknownFields(String name, String path, Object value, List<String> problems) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int index = 0;
            for (Object element : list) {
                findUnknownFields(name, path + "[" + index++ + "]", element, problems);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, element) -> findUnknownFields(name, path + "." + key, element, problems));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new AssertionError(name + ": reading " + path + "." + getter.getName(), e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> unknown) {
                    unknown.keySet().forEach(field -> problems.add(
                            name + ": unknown field '" + field + "' at " + (path.isEmpty() ? "." : path)));
                }
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            findUnknownFields(name, path + "." + field, child, problems);
        }
    }
}
