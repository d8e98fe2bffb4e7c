package dev.tooltune.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.hub.HubClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaseModelsTest {

    @TempDir
    Path cache;

    private BaseModels models() {
        // An endpoint nothing listens on: resolving a local id must never reach the Hub.
        return new BaseModels(cache, new HubClient(URI.create("http://127.0.0.1:9"), null, cache.resolve("hub"), 1));
    }

    @Test
    void tinyRandomIsWrittenOnceAndLoadsAsTheTinyConfig() throws Exception {
        BaseModels.Resolved first = models().resolve(BaseModels.TINY_RANDOM, null);
        long written = Files.getLastModifiedTime(first.directory().resolve("model.safetensors")).toMillis();
        BaseModels.Resolved again = models().resolve(BaseModels.TINY_RANDOM, first.revision());
        assertEquals(first.directory(), again.directory());
        assertEquals(written, Files.getLastModifiedTime(again.directory().resolve("model.safetensors")).toMillis());
        try (Gemma3Model model = Gemma3Model.load(first.directory())) {
            assertEquals(Gemma3Config.preset("tiny").hiddenSize(), model.config().hiddenSize());
            assertEquals(262_144, model.config().vocabSize());
        }
        assertThrows(IllegalArgumentException.class, () -> models().resolve(BaseModels.TINY_RANDOM, "other"));
    }

    @Test
    void aDirectoryResolvesToItselfWithAStableFingerprintRevision() {
        Path dir = models().resolve(BaseModels.TINY_RANDOM, null).directory();
        BaseModels.Resolved byPath = models().resolve(dir.toString(), null);
        BaseModels.Resolved byUri = models().resolve(dir.toUri().toString(), null);
        assertEquals(dir, byPath.directory());
        assertEquals(byPath.revision(), byUri.revision());
        assertTrue(byPath.revision().matches("local-[0-9a-f]{12}"), byPath.revision());
        assertEquals("pinned", models().resolve(dir.toString(), "pinned").revision());
    }

    @Test
    void anythingElseIsRefusedWithTheAcceptedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> models().resolve("no such model!", null));
        assertTrue(e.getMessage().contains("Hub id"), e.getMessage());
    }
}
