package dev.tooltune.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryArtifactStoreTest {

    @TempDir
    Path temp;

    private Path folder(String name, String weights) throws Exception {
        Path dir = Files.createDirectories(temp.resolve(name));
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\": 8}");
        Files.writeString(dir.resolve("adapter_model.safetensors"), weights);
        return dir;
    }

    @Test
    void publishedArtifactsComeBackVerifiedWithTheirMetadata() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        URI uri = store.publish("adapters/acme/adp-1", folder("a", "weights-1"), Map.of("jobId", "ftjob-1"));
        assertEquals(store.uriOf("adapters/acme/adp-1"), uri);

        Manifest manifest = store.fetch(uri, temp.resolve("copy"));
        assertEquals("ftjob-1", manifest.metadata().get("jobId"));
        assertEquals(Manifest.sha256(temp.resolve("a/adapter_model.safetensors")),
                manifest.files().get("adapter_model.safetensors").sha256());
        assertArrayEquals(Files.readAllBytes(temp.resolve("a/adapter_model.safetensors")),
                Files.readAllBytes(temp.resolve("copy/adapter_model.safetensors")));
        assertTrue(store.manifest("adapters/acme/adp-1").isPresent());
    }

    @Test
    void republishingReplacesTheWholeArtifact() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        store.publish("checkpoints/job-1", folder("v1", "step-10"), Map.of());
        URI uri = store.publish("checkpoints/job-1", folder("v2", "step-20"), Map.of());
        store.fetch(uri, temp.resolve("copy"));
        assertEquals("step-20", Files.readString(temp.resolve("copy/adapter_model.safetensors")));
        try (var left = Files.list(temp.resolve("store/checkpoints"))) {
            assertEquals(1, left.count(), "no staging or old folders left behind");
        }
    }

    @Test
    void aTamperedFileIsRefusedAndNotLeftBehind() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        URI uri = store.publish("adapters/acme/adp-2", folder("a", "weights"), Map.of());
        Files.writeString(Path.of(uri).resolve("adapter_model.safetensors"), "weightz");
        CorruptArtifactException e = assertThrows(CorruptArtifactException.class, () -> store.fetch(uri, temp.resolve("copy")));
        assertTrue(e.getMessage().contains("adapter_model.safetensors"), e.getMessage());
        assertFalse(Files.exists(temp.resolve("copy/adapter_model.safetensors")));
    }

    @Test
    void anArtifactWithoutManifestDoesNotExist() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        Files.createDirectories(temp.resolve("store/adapters/half"));
        Files.writeString(temp.resolve("store/adapters/half/adapter_model.safetensors"), "x");
        assertTrue(store.manifest("adapters/half").isEmpty());
        assertThrows(CorruptArtifactException.class,
                () -> store.fetch(temp.resolve("store/adapters/half").toUri(), temp.resolve("copy")));
        store.publish("adapters/whole", folder("a", "w"), Map.of());
        store.delete("adapters/whole");
        assertTrue(store.manifest("adapters/whole").isEmpty());
    }

    @Test
    void keysCannotEscapeTheRoot() {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        assertThrows(IllegalArgumentException.class, () -> store.uriOf("../etc"));
        assertThrows(IllegalArgumentException.class, () -> store.uriOf("/abs"));
        assertThrows(IllegalArgumentException.class,
                () -> store.fetch(temp.resolve("elsewhere").toUri(), temp.resolve("copy")));
    }
}
