package dev.tooltune.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** The checked-out repository as the deployment sees it: its version, its services, its manifests rendered. */
final class Repository {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final ObjectMapper YAML = new YAMLMapper();
    /** Overlays a user applies; the base is rendered too (it must stand on its own as a Kustomization). */
    static final List<String> KUSTOMIZATIONS = List.of("k8s/base", "k8s/overlays/dev", "k8s/overlays/prod");
    static final String IMAGE_PREFIX = "tooltune/";

    private static final Pattern PROJECT_VERSION = Pattern.compile(
            "<artifactId>tooltune-parent</artifactId>\\s*<version>([^<]+)</version>");
    private static final Map<String, List<ObjectNode>> RENDERED = new LinkedHashMap<>();
    /** Variables docker-compose.yml reads; tests see the file's defaults, not the caller's settings. */
    private static final Pattern COMPOSE_VARIABLE = Pattern.compile(
            "(TOOLTUNE|POSTGRES|MINIO|KAFKA|GATEWAY|DATASET_SERVICE)_[A-Z_]*");
    private static JsonNode compose;

    private Repository() {
    }

    static String projectVersion() {
        Matcher version = PROJECT_VERSION.matcher(read("pom.xml"));
        if (!version.find()) {
            throw new IllegalStateException("pom.xml: no <version> after <artifactId>tooltune-parent</artifactId>");
        }
        return version.group(1);
    }

    static String read(String relative) {
        try {
            return Files.readString(ROOT.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * docker-compose.yml as Compose resolves it ({@code docker-compose --profile cpu --profile gpu config}): anchors
     * and merge keys expanded, variables at their defaults (the caller's TOOLTUNE_*, POSTGRES_*, ... are not passed).
     */
    static synchronized JsonNode compose() {
        if (compose == null) {
            Map<String, String> defaults = new LinkedHashMap<>();
            ProcessResult result = run(List.of(dockerCompose(), "-f", "docker-compose.yml", "--profile", "cpu",
                    "--profile", "gpu", "config"), defaults, true);
            if (result.exitCode() != 0) {
                throw new AssertionError("docker-compose config failed:\n" + result.output());
            }
            try {
                compose = YAML.readTree(result.stdout());
            } catch (IOException e) {
                throw new UncheckedIOException("parsing docker-compose config", e);
            }
        }
        return compose;
    }

    static String dockerCompose() {
        return System.getenv().getOrDefault("DOCKER_COMPOSE", "docker-compose");
    }

    /**
     * A service module's src/main/resources/application.properties, if the module has one yet. Services land one by
     * one: checks that need a service's settings cover it as soon as this file exists.
     */
    static Optional<Properties> applicationProperties(String service) {
        Path file = ROOT.resolve(service).resolve("src/main/resources/application.properties");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.of(properties);
    }

    /** {@code kubectl kustomize DIR}, parsed into its objects; rendered once per test run. */
    static synchronized List<ObjectNode> render(String kustomization) {
        return RENDERED.computeIfAbsent(kustomization, Repository::runKustomize);
    }

    private static List<ObjectNode> runKustomize(String kustomization) {
        ProcessResult result = run(List.of(kubectl(), "kustomize", ROOT.resolve(kustomization).toString()), Map.of());
        if (result.exitCode() != 0) {
            throw new AssertionError("kubectl kustomize " + kustomization + " failed (exit " + result.exitCode()
                    + "):\n" + result.output());
        }
        List<ObjectNode> objects = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(result.stdout())) {
            var documents = YAML.readValues(parser, JsonNode.class);
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document instanceof ObjectNode object) {
                    objects.add(object);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("parsing the output of kubectl kustomize " + kustomization, e);
        }
        return objects;
    }

    static String kubectl() {
        return System.getenv().getOrDefault("KUBECTL", "kubectl");
    }

    record ProcessResult(int exitCode, String stdout, String output) {
    }

    /** Runs a command from the repository root; a missing program is an error that says how to get it. */
    static ProcessResult run(List<String> command, Map<String, String> environment) {
        return run(command, environment, false);
    }

    static ProcessResult run(List<String> command, Map<String, String> environment, boolean composeDefaults) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
        if (composeDefaults) {
            builder.environment().keySet().removeIf(name -> COMPOSE_VARIABLE.matcher(name).matches());
        }
        builder.environment().putAll(environment);
        Path stdout = null;
        Path stderr = null;
        try {
            stdout = Files.createTempFile("deploy-checks", ".out");
            stderr = Files.createTempFile("deploy-checks", ".err");
            builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new AssertionError(command.get(0) + " is needed to check the deployment files and was not found"
                        + " (kubectl: a Kubernetes client with kustomize; docker-compose: apt-get install"
                        + " docker-compose); set KUBECTL or DOCKER_COMPOSE to its path", e);
            }
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
            }
            String out = Files.readString(stdout);
            String err = Files.readString(stderr);
            return new ProcessResult(process.exitValue(), out, out + err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            deleteIfPresent(stdout);
            deleteIfPresent(stderr);
        }
    }

    private static void deleteIfPresent(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static String describe(JsonNode object) {
        return object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
    }
}
