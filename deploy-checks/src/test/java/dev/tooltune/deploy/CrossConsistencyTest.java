package dev.tooltune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.tooltune.contracts.Topics;

/**
 * docker-compose.yml, the rendered Kustomizations, the services' application.properties and docs/deployment.md tell
 * one story: the same services and image tags, ports, topics, environment variables and secrets. Services are found
 * from the files themselves (every image tooltune/NAME), and a service's own settings are checked as soon as its
 * NAME/src/main/resources/application.properties exists, so services that land later are covered without changes here.
 */
class CrossConsistencyTest {

    private static final String DEV = "k8s/overlays/dev";
    private static final String PROD = "k8s/overlays/prod";
    /** kustomize's content hash on generated Secrets and ConfigMaps: NAME-&lt;10 chars&gt;. */
    private static final Pattern GENERATED_SUFFIX = Pattern.compile("-[a-z0-9]{10}$");
    /** A row of the configuration table: | `NAME` | service, service | key/platform/pending | meaning | */
    private static final Pattern SETTING_ROW = Pattern.compile(
            "^\\|\\s*`([A-Z][A-Z0-9_]*)`\\s*\\|\\s*([a-z, -]+?)\\s*\\|\\s*(key|platform|pending)\\s*\\|",
            Pattern.MULTILINE);

    @Test
    void composeAndKubernetesRunTheSameServicesAtTheProjectVersion() {
        String version = Repository.projectVersion();
        Set<String> composeServices = new TreeSet<>();
        Services.composeServices().forEach((name, service) -> {
            String image = service.path("image").asText();
            composeServices.add(Services.serviceOf(image));
            String tag = Services.composeTag(image);
            assertTrue(tag.equals(version) || tag.equals(version + "-cuda"),
                    "docker-compose.yml " + name + ": image " + image + " is not tagged " + version + "[-cuda]");
        });
        for (String kustomization : List.of(DEV, PROD)) {
            Map<String, ObjectNode> deployments = Services.deployments(Repository.render(kustomization));
            assertEquals(composeServices, new TreeSet<>(deployments.keySet()),
                    kustomization + ": services (Deployments with a tooltune/ image) differ from docker-compose.yml");
            deployments.forEach((service, deployment) -> {
                String image = Services.container(deployment).path("image").asText();
                assertEquals(service, deployment.path("metadata").path("name").asText(), image);
                String tag = image.substring(image.indexOf(':') + 1);
                assertTrue(tag.equals(version) || tag.equals(version + "-cuda"),
                        kustomization + " " + service + ": image " + image + " is not tagged " + version);
            });
        }
    }

    @Test
    void portsAgreeAcrossPropertiesComposeAndKubernetes() {
        List<ObjectNode> objects = Repository.render(DEV);
        Map<String, ObjectNode> deployments = Services.deployments(objects);
        Map<String, Integer> composePorts = new TreeMap<>();
        Services.composeServices().forEach((name, service) -> {
            Matcher health = Pattern.compile("http://localhost:(\\d+)/q/health/ready")
                    .matcher(service.path("healthcheck").path("test").toString());
            assertTrue(health.find(), "docker-compose.yml " + name + ": health check on /q/health/ready");
            int port = Integer.parseInt(health.group(1));
            Integer earlier = composePorts.put(Services.serviceOf(service.path("image").asText()), port);
            assertTrue(earlier == null || earlier == port, "docker-compose.yml " + name + ": port " + port);
            for (JsonNode published : service.path("ports")) {
                assertTrue(published.asText().replaceFirst("/tcp$", "").endsWith(":" + port),
                        "docker-compose.yml " + name + ": publishes " + published.asText() + ", serves " + port);
            }
        });
        deployments.forEach((service, deployment) -> {
            JsonNode container = Services.container(deployment);
            int containerPort = container.path("ports").path(0).path("containerPort").asInt();
            assertEquals(composePorts.get(service), containerPort, service + ": compose vs k8s container port");
            ObjectNode kubeService = Services.find(objects, "Service", service).orElseThrow(
                    () -> new AssertionError(DEV + ": no Service " + service));
            assertEquals(containerPort, kubeService.path("spec").path("ports").path(0).path("port").asInt(),
                    "Service " + service + " port");
            for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
                assertTrue(container.path(probe).path("httpGet").path("path").asText().startsWith("/q/health/"),
                        service + " " + probe);
            }
            Repository.applicationProperties(service).ifPresent(properties -> assertEquals(
                    String.valueOf(containerPort), properties.getProperty("quarkus.http.port"),
                    service + "/src/main/resources/application.properties quarkus.http.port"));
        });
    }

    @Test
    void everyDeclarationCreatesTheContractTopics() {
        Map<String, String> expected = new TreeMap<>();
        for (Topics.Topic topic : Topics.ALL) {
            expected.put(topic.name(), topic.partitions() + (topic.compacted() ? ":compact" : ""));
        }

        Map<String, String> compose = new TreeMap<>();
        Matcher create = Pattern.compile("--create\\b[^\\n]*?--topic (\\S+) --partitions (\\d+)([^\\n]*)")
                .matcher(Repository.compose().path("services").path("kafka-topics").path("command").toString()
                        .replace("\\n", "\n"));
        while (create.find()) {
            compose.put(create.group(1), create.group(2)
                    + (create.group(3).contains("cleanup.policy=compact") ? ":compact" : ""));
        }
        assertEquals(expected, compose, "docker-compose.yml kafka-topics");

        Map<String, String> strimzi = new TreeMap<>();
        for (ObjectNode topic : Services.ofKind(Repository.render(PROD), "KafkaTopic")) {
            JsonNode spec = topic.path("spec");
            String name = spec.path("topicName").asText(topic.path("metadata").path("name").asText());
            boolean compacted = spec.path("config").path("cleanup.policy").asText().equals("compact");
            strimzi.put(name, spec.path("partitions").asInt() + (compacted ? ":compact" : ""));
        }
        assertEquals(expected, strimzi, PROD + " KafkaTopics");
    }

    @Test
    void composeAndKubernetesSetTheSameEnvironmentPerService() {
        List<ObjectNode> objects = Repository.render(DEV);
        Map<String, ObjectNode> deployments = Services.deployments(objects);
        Services.composeServices().forEach((name, service) -> {
            String image = service.path("image").asText();
            TreeSet<String> compose = Services.composeEnvironment(service);
            TreeSet<String> kubernetes = Services.kubernetesEnvironment(deployments.get(Services.serviceOf(image)),
                    objects);
            assertEquals(compose, kubernetes, "docker-compose.yml " + name + " vs " + DEV + " environment");
        });
    }

    /**
     * Every variable compose or Kubernetes (dev and prod) sets for a service is in docs/deployment.md's configuration
     * table for that service, and every row of that table is read by each service it names: a {@code key} by the
     * service's application.properties or by name in the sources of the service or a ToolTune module it uses, a
     * {@code platform} variable by a library on the service's dependency path ({@link SettingReaders}). A variable
     * that no service reads (a name that drifted, a setting that was never built) fails here.
     */
    @Test
    void everyVariableSetIsDocumentedAndReadByItsService() {
        Map<String, Set<String>> documentedServices = new TreeMap<>();
        Map<String, String> documentedKind = new TreeMap<>();
        Matcher row = SETTING_ROW.matcher(Repository.read("docs/deployment.md"));
        while (row.find()) {
            documentedServices.put(row.group(1), new TreeSet<>(List.of(row.group(2).split("\\s*,\\s*"))));
            documentedKind.put(row.group(1), row.group(3));
        }
        assertFalse(documentedKind.isEmpty(), "docs/deployment.md has a configuration table");

        Map<String, Set<String>> setBy = new TreeMap<>();   // "service VARIABLE" -> where it is set
        Services.composeServices().forEach((name, service) -> {
            for (String variable : Services.composeEnvironment(service)) {
                setBy.computeIfAbsent(Services.serviceOf(service.path("image").asText()) + " " + variable,
                        k -> new TreeSet<>()).add("docker-compose.yml " + name);
            }
        });
        for (String kustomization : List.of(DEV, PROD)) {
            List<ObjectNode> objects = Repository.render(kustomization);
            Services.deployments(objects).forEach((service, deployment) -> {
                for (String variable : Services.kubernetesEnvironment(deployment, objects)) {
                    setBy.computeIfAbsent(service + " " + variable, k -> new TreeSet<>()).add(kustomization);
                }
            });
        }

        List<String> problems = new ArrayList<>();
        setBy.forEach((serviceAndVariable, where) -> {
            String service = serviceAndVariable.split(" ")[0];
            String variable = serviceAndVariable.split(" ")[1];
            if (!documentedServices.getOrDefault(variable, Set.of()).contains(service)) {
                problems.add(variable + " (" + service + ", set by " + where + ") is not in docs/deployment.md's"
                        + " configuration table for " + service);
            }
        });
        documentedKind.forEach((variable, kind) -> {
            for (String service : documentedServices.get(variable)) {
                if (Repository.applicationProperties(service).isEmpty()) {
                    continue;   // a service without code yet: nothing to check against
                }
                boolean read = switch (kind) {
                    case "key" -> SettingReaders.configurationReader(service, variable).isPresent();
                    case "platform" -> SettingReaders.libraryReader(service, variable).isPresent();
                    default -> false;
                };
                if (!read) {
                    problems.add(variable + " is documented as a " + kind + " of " + service + ", but "
                            + switch (kind) {
                                case "key" -> "neither " + service + "/src/main/resources/application.properties nor"
                                        + " the main sources of " + SettingReaders.modulesOf(service)
                                        + " read it";
                                case "platform" -> SettingReaders.LIBRARY_VARIABLES.containsKey(variable)
                                        ? "no module of " + SettingReaders.modulesOf(service) + " depends on "
                                                + SettingReaders.LIBRARY_VARIABLES.get(variable)
                                        : "SettingReaders.LIBRARY_VARIABLES does not say which library reads it";
                                default -> "'" + kind + "' settings are not read by anything: give the key the"
                                        + " service reads";
                            });
                }
            }
        });
        assertEquals(List.of(), problems);
    }

    /** A key=value line of application.properties, or a commented-out one ("# key=" documents an optional key). */
    private static final Pattern PROPERTY_LINE = Pattern.compile("^\\s*#?\\s*([a-z%][A-Za-z0-9_.\"%-]*)\\s*=",
            Pattern.MULTILINE);

    /**
     * The environment names of the keys a service's application.properties sets or documents. Quarkus reads a.b-c
     * from A_B_C: upper case, every character other than a letter or digit becomes '_'. Profile keys (%test.) are
     * not deployment settings.
     */
    static Set<String> environmentForms(String service) {
        Set<String> forms = new TreeSet<>();
        Matcher line = PROPERTY_LINE.matcher(Repository.read(service + "/src/main/resources/application.properties"));
        while (line.find()) {
            if (!line.group(1).startsWith("%")) {
                forms.add(line.group(1).toUpperCase().replaceAll("[^A-Z0-9]", "_"));
            }
        }
        return forms;
    }

    @Test
    void theInternalTokenIsOneSecretSharedByAllServices() {
        Set<String> composeValues = new TreeSet<>();
        Services.composeServices().values().forEach(service ->
                composeValues.add(service.path("environment").path("TOOLTUNE_INTERNAL_TOKEN").asText("<unset>")));
        assertEquals(1, composeValues.size(), "docker-compose.yml TOOLTUNE_INTERNAL_TOKEN values " + composeValues);
        assertFalse(composeValues.contains("<unset>"));

        Set<String> kubernetesRefs = new TreeSet<>();
        Services.deployments(Repository.render(PROD)).forEach((service, deployment) -> {
            for (JsonNode variable : Services.container(deployment).path("env")) {
                if (variable.path("name").asText().equals("TOOLTUNE_INTERNAL_TOKEN")) {
                    JsonNode ref = variable.path("valueFrom").path("secretKeyRef");
                    kubernetesRefs.add(ref.path("name").asText() + "/" + ref.path("key").asText());
                }
            }
        });
        assertEquals(Set.of("tooltune-internal-token/token"), kubernetesRefs);
    }

    @ParameterizedTest
    @ValueSource(strings = {DEV, PROD})
    void everySecretAndConfigMapReferenceResolves(String kustomization) {
        List<ObjectNode> objects = Repository.render(kustomization);
        // What the dev overlay generates is the list of Secrets an operator creates for prod (docs/deployment.md).
        Map<String, Set<String>> devSecrets = new TreeMap<>();
        for (ObjectNode secret : Services.ofKind(Repository.render(DEV), "Secret")) {
            devSecrets.put(unhashed(secret.path("metadata").path("name").asText()),
                    fieldNames(secret.path("data")));
        }
        String guide = Repository.read("docs/deployment.md");
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : objects) {
            List<JsonNode> refs = object.findValues("secretKeyRef");
            for (JsonNode ref : refs) {
                String name = ref.path("name").asText();
                String key = ref.path("key").asText();
                var rendered = Services.find(objects, "Secret", name);
                if (rendered.isPresent()) {
                    if (!rendered.get().path("data").has(key)) {
                        problems.add(Repository.describe(object) + ": Secret " + name + " has no key " + key);
                    }
                } else if (kustomization.equals(DEV)) {
                    problems.add(Repository.describe(object) + ": Secret " + name + " is not generated");
                } else if (!devSecrets.getOrDefault(name, Set.of()).contains(key) || !guide.contains("`" + name + "`")) {
                    problems.add(Repository.describe(object) + ": Secret " + name + "/" + key
                            + " is neither rendered nor one of the documented Secrets (dev overlay, docs)");
                }
            }
            for (JsonNode ref : object.findValues("configMapKeyRef")) {
                String name = ref.path("name").asText();
                if (Services.find(objects, "ConfigMap", name).isEmpty()) {
                    problems.add(Repository.describe(object) + ": ConfigMap " + name + " is not rendered");
                }
            }
        }
        for (ObjectNode scaled : Services.ofKind(objects, "ScaledObject")) {
            String target = scaled.path("spec").path("scaleTargetRef").path("name").asText();
            if (Services.find(objects, "Deployment", target).isEmpty()) {
                problems.add(Repository.describe(scaled) + ": no Deployment " + target);
            }
            String auth = scaled.path("spec").path("triggers").path(0).path("authenticationRef").path("name")
                    .asText(null);
            if (auth != null && Services.find(objects, "TriggerAuthentication", auth).isEmpty()) {
                problems.add(Repository.describe(scaled) + ": no TriggerAuthentication " + auth);
            }
        }
        for (ObjectNode hpa : Services.ofKind(objects, "HorizontalPodAutoscaler")) {
            String target = hpa.path("spec").path("scaleTargetRef").path("name").asText();
            if (Services.find(objects, "Deployment", target).isEmpty()) {
                problems.add(Repository.describe(hpa) + ": no Deployment " + target);
            }
        }
        assertEquals(List.of(), problems, kustomization);
    }

    @Test
    void theTrainerScalerCountsJobsInTheGatewaysDatabase() {
        for (String kustomization : List.of(DEV, PROD)) {
            List<ObjectNode> objects = Repository.render(kustomization);
            JsonNode trigger = Services.find(objects, "ScaledObject", "trainer-service").orElseThrow()
                    .path("spec").path("triggers").path(0);
            assertEquals("postgresql", trigger.path("type").asText());
            String jdbcUrl = Services.find(objects, "ConfigMap", "gateway").orElseThrow()
                    .path("data").path("QUARKUS_DATASOURCE_JDBC_URL").asText();
            String host = trigger.path("metadata").path("host").asText();
            String database = trigger.path("metadata").path("dbName").asText();
            assertTrue(jdbcUrl.startsWith("jdbc:postgresql://" + host + ":" + trigger.path("metadata").path("port")
                    .asText() + "/" + database), kustomization + ": scaler reads " + host + "/" + database
                    + ", the gateway writes " + jdbcUrl);
            assertEquals("1", trigger.path("metadata").path("targetQueryValue").asText(),
                    kustomization + ": one job per GPU worker");
        }
    }

    private static String unhashed(String name) {
        return GENERATED_SUFFIX.matcher(name).replaceAll("");
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
