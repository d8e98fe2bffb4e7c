package dev.tooltune.deploy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The ToolTune services as docker-compose.yml and a rendered Kustomization declare them. */
final class Services {

    /** {@code tooltune/NAME:TAG}. */
    static final Pattern IMAGE = Pattern.compile("tooltune/([a-z-]+):(.+)");

    private Services() {
    }

    /** Compose services running a ToolTune image, keyed by compose service name. */
    static Map<String, JsonNode> composeServices() {
        Map<String, JsonNode> services = new TreeMap<>();
        Repository.compose().path("services").fields().forEachRemaining(entry -> {
            if (entry.getValue().path("image").asText().startsWith(Repository.IMAGE_PREFIX)) {
                services.put(entry.getKey(), entry.getValue());
            }
        });
        return services;
    }

    /** The image's service name (tooltune/trainer-service:... is trainer-service, whatever the compose name). */
    static String serviceOf(String image) {
        Matcher matcher = IMAGE.matcher(image);
        if (!matcher.matches()) {
            throw new AssertionError("not a ToolTune image reference: " + image);
        }
        return matcher.group(1);
    }

    static String composeTag(String image) {
        Matcher matcher = IMAGE.matcher(image);
        if (!matcher.matches()) {
            throw new AssertionError("not a ToolTune image reference: " + image);
        }
        return matcher.group(2);
    }

    /** Environment variable names a compose service sets (map or list form). */
    static TreeSet<String> composeEnvironment(JsonNode service) {
        TreeSet<String> names = new TreeSet<>();
        JsonNode environment = service.path("environment");
        if (environment.isObject()) {
            environment.fieldNames().forEachRemaining(names::add);
        } else {
            environment.forEach(entry -> names.add(entry.asText().split("=", 2)[0]));
        }
        return names;
    }

    static List<ObjectNode> ofKind(List<ObjectNode> objects, String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    static Optional<ObjectNode> find(List<ObjectNode> objects, String kind, String name) {
        return objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind))
                .filter(o -> o.path("metadata").path("name").asText().equals(name))
                .findFirst();
    }

    /** Deployments whose first container runs a ToolTune image, keyed by service name. */
    static Map<String, ObjectNode> deployments(List<ObjectNode> objects) {
        Map<String, ObjectNode> deployments = new LinkedHashMap<>();
        for (ObjectNode deployment : ofKind(objects, "Deployment")) {
            String image = container(deployment).path("image").asText();
            if (image.startsWith(Repository.IMAGE_PREFIX)) {
                deployments.put(serviceOf(image), deployment);
            }
        }
        return deployments;
    }

    static JsonNode container(JsonNode deployment) {
        return deployment.path("spec").path("template").path("spec").path("containers").path(0);
    }

    /**
     * Variable names a Deployment's container gets: its env entries and every key of the ConfigMaps and Secrets it
     * takes whole (envFrom), resolved among {@code objects}.
     */
    static TreeSet<String> kubernetesEnvironment(JsonNode deployment, List<ObjectNode> objects) {
        TreeSet<String> names = new TreeSet<>();
        JsonNode container = container(deployment);
        container.path("env").forEach(variable -> names.add(variable.path("name").asText()));
        for (JsonNode source : container.path("envFrom")) {
            String configMap = source.path("configMapRef").path("name").asText(null);
            if (configMap != null) {
                find(objects, "ConfigMap", configMap).ifPresentOrElse(
                        map -> map.path("data").fieldNames().forEachRemaining(names::add),
                        () -> {
                            throw new AssertionError(Repository.describe(deployment) + ": envFrom ConfigMap "
                                    + configMap + " is not rendered");
                        });
            }
        }
        return names;
    }
}
