package dev.tooltune.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docker-compose.yml as Compose itself reads it: {@code docker-compose config} (Debian's docker-compose 1.29, or
 * DOCKER_COMPOSE=path) for every profile, which checks the file against the Compose schema, resolves anchors,
 * variables and profiles, and fails on unknown keys.
 */
class ComposeFileTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "cpu", "gpu"})
    void composeAcceptsTheFile(String profile) {
        List<String> command = new ArrayList<>(List.of(
                Repository.dockerCompose(), "-f", "docker-compose.yml"));
        if (!profile.isEmpty()) {
            command.addAll(List.of("--profile", profile));
        }
        command.addAll(List.of("config", "--quiet"));

        Repository.ProcessResult result = Repository.run(command, Map.of(), true);

        assertEquals(0, result.exitCode(), String.join(" ", command) + ":\n" + result.output());
    }
}
