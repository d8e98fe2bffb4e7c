package dev.tooltune.inference;

import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.checkpoint.StoredType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The base model these tests serve: a tiny random Gemma 3 (real tokenizer) drawn with seed 0 and the usual small
 * std, in a directory. Not the embedded default {@code tooltune/gemma-3-tiny-random}: that one is drawn with std 0.3
 * so that a short CPU fine-tune visibly learns, and its greedy answers are only newlines, so they could not tell
 * adapters or versions apart. Written once under target/.
 */
final class TestBaseModel {

    static final String ID = write(Path.of("target", "test-base-model-tiny-seed0").toAbsolutePath());

    private TestBaseModel() {
    }

    private static synchronized String write(Path dir) {
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            try {
                Files.createDirectories(dir.getParent());
                Path staging = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".partial-");
                Gemma3Model.writeRandomCheckpoint(Gemma3Config.preset("tiny"), RandomInit.of(0), staging, StoredType.F32);
                Files.move(staging, dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the test base model under " + dir, e);
            }
        }
        return dir.toString();
    }
}
