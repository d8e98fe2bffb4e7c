package dev.tooltune.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The service's packages depend on each other without cycles (datasets know nothing of versions, versions nothing
 * of examples, ...), read from the sources: every reference to {@code dev.tooltune.dataset.<package>.<Type>},
 * imported or written out in full, is a dependency.
 */
class PackageCyclesTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/tooltune/dataset");
    private static final Pattern REFERENCE = Pattern.compile("dev\\.tooltune\\.dataset\\.([a-z]+)\\.[A-Z]");

    @Test
    void packagesFormNoCycle() throws IOException {
        Map<String, Set<String>> dependencies = dependencies();
        assertTrue(dependencies.size() >= 8, "found the packages " + dependencies.keySet());
        List<List<String>> cycles = new ArrayList<>();
        for (String start : dependencies.keySet()) {
            findCycles(start, start, new ArrayList<>(List.of(start)), dependencies, cycles);
        }
        assertEquals(List.of(), cycles, "package cycles; dependencies: " + dependencies);
    }

    /** Cycles through {@code start} whose other members sort after it, so each cycle is listed once. */
    private static void findCycles(String start, String at, List<String> path, Map<String, Set<String>> dependencies,
                                   List<List<String>> cycles) {
        for (String next : dependencies.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                cycles.add(cycle);
            } else if (next.compareTo(start) > 0 && !path.contains(next)) {
                path.add(next);
                findCycles(start, next, path, dependencies, cycles);
                path.remove(path.size() - 1);
            }
        }
    }

    private static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> dependencies = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String from = SOURCES.relativize(file).getName(0).toString();
                Set<String> to = dependencies.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher reference = REFERENCE.matcher(Files.readString(file));
                while (reference.find()) {
                    if (!reference.group(1).equals(from)) {
                        to.add(reference.group(1));
                    }
                }
            }
        }
        return dependencies;
    }
}
