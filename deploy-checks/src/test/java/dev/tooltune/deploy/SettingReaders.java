package dev.tooltune.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Whether a service really reads an environment variable, from the repository's own files: the service's
 * application.properties (a key in environment form, or a {@code ${VARIABLE}} reference), the main sources of the
 * service and of the ToolTune modules it depends on (a variable read by name, such as {@code TOOLTUNE_CACHE} in
 * model-core or {@code TOOLTUNE_ARTIFACTS_S3_ENDPOINT} in artifact-store), or, for a library's own variable, the
 * library on the service's dependency path.
 */
final class SettingReaders {

    /**
     * Variables read by a library, not by ToolTune's code or configuration, and the Maven groupId of that library:
     * the service reads the variable when one of its ToolTune modules depends on that groupId.
     */
    static final Map<String, String> LIBRARY_VARIABLES = Map.of(
            "AWS_REGION", "software.amazon.awssdk",
            "AWS_ACCESS_KEY_ID", "software.amazon.awssdk",
            "AWS_SECRET_ACCESS_KEY", "software.amazon.awssdk",
            "DJL_CACHE_DIR", "ai.djl",
            "DJL_OFFLINE", "ai.djl");

    private static final Pattern TOOLTUNE_DEPENDENCY = Pattern.compile(
            "<groupId>dev\\.tooltune</groupId>\\s*<artifactId>([a-z-]+)</artifactId>");
    private static final Pattern PROPERTY_REFERENCE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)[:}]");

    private SettingReaders() {
    }

    /** Why {@code service} reads {@code variable} as a ToolTune or Quarkus setting; empty if nothing does. */
    static Optional<String> configurationReader(String service, String variable) {
        if (Repository.applicationProperties(service).isPresent()) {
            if (CrossConsistencyTest.environmentForms(service).contains(variable)) {
                return Optional.of(service + "/src/main/resources/application.properties has the key");
            }
            Matcher reference = PROPERTY_REFERENCE.matcher(
                    Repository.read(service + "/src/main/resources/application.properties"));
            while (reference.find()) {
                if (reference.group(1).equals(variable)) {
                    return Optional.of(service + "/src/main/resources/application.properties reads ${" + variable
                            + "}");
                }
            }
        }
        Pattern named = Pattern.compile("\\b" + Pattern.quote(variable) + "\\b");
        for (String module : modulesOf(service)) {
            Path sources = Repository.ROOT.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources)) {
                Optional<Path> reader = files.filter(f -> f.toString().endsWith(".java"))
                        .filter(f -> named.matcher(read(f)).find()).findFirst();
                if (reader.isPresent()) {
                    return Optional.of(Repository.ROOT.relativize(reader.get()) + " reads it");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.empty();
    }

    /** Why {@code service} reads the library variable {@code variable}; empty if the library is not on its path. */
    static Optional<String> libraryReader(String service, String variable) {
        String groupId = LIBRARY_VARIABLES.get(variable);
        if (groupId == null) {
            return Optional.empty();
        }
        Pattern dependency = Pattern.compile("<groupId>" + Pattern.quote(groupId) + "(\\.[a-z.]+)?</groupId>");
        for (String module : modulesOf(service)) {
            if (dependency.matcher(Repository.read(module + "/pom.xml")).find()) {
                return Optional.of(module + "/pom.xml depends on " + groupId);
            }
        }
        return Optional.empty();
    }

    /** The service module and every ToolTune module it depends on, directly or not (from the poms). */
    static Set<String> modulesOf(String service) {
        Set<String> modules = new TreeSet<>();
        Deque<String> pending = new ArrayDeque<>(Set.of(service));
        while (!pending.isEmpty()) {
            String module = pending.pop();
            // The parent pom (tooltune-parent) is no module folder: skip what has no pom of its own.
            if (!Files.isRegularFile(Repository.ROOT.resolve(module).resolve("pom.xml")) || !modules.add(module)) {
                continue;
            }
            Matcher dependency = TOOLTUNE_DEPENDENCY.matcher(Repository.read(module + "/pom.xml"));
            while (dependency.find()) {
                pending.push(dependency.group(1));
            }
        }
        return modules;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
