package dev.tooltune.model.checkpoint;

import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.hub.HubClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Where a base model named in a job or an adapter ({@code BaseModel.id}) lives on this machine, so that trainer and
 * inference find the same weights for the same id:
 * <ul>
 *   <li>{@value #TINY_RANDOM}: the embedded default, a tiny Gemma 3 (17M parameters) with random weights of a fixed
 *       seed and the real 262,144-token vocabulary, written under the cache on first use. It proves the pipeline
 *       without downloading anything; it has no answer quality.</li>
 *   <li>a local directory in Hugging Face layout (a path or a {@code file:} URI);</li>
 *   <li>a Hugging Face Hub id ({@code google/gemma-3-1b-it}), downloaded into the cache once (HF_TOKEN, HF_ENDPOINT).</li>
 * </ul>
 * The resolved revision is what an adapter records as the exact weights it was trained on.
 */
public final class BaseModels {

    public static final String TINY_RANDOM = "tooltune/gemma-3-tiny-random";
    /** Bumped whenever the tiny model's recipe (config or seed) changes, so adapters of the old one do not match. */
    private static final String TINY_RANDOM_REVISION = "tiny-seed0-v1";

    /** A base model on disk and the revision that names its weights exactly. */
    public record Resolved(String id, Path directory, String revision) {}

    private final Path cache;
    private final HubClient hub;

    /** @param cache the tooltune cache directory (models go to {@code cache/models}); @param hub for Hub ids */
    public BaseModels(Path cache, HubClient hub) {
        this.cache = cache;
        this.hub = hub;
    }

    /** {@code $TOOLTUNE_CACHE} (else {@code ~/.cache/tooltune}) and the Hub client of the environment. */
    public static BaseModels fromEnvironment() {
        String base = System.getProperty("tooltune.cache", System.getenv("TOOLTUNE_CACHE"));
        Path cache = base != null ? Path.of(base) : Path.of(System.getProperty("user.home"), ".cache", "tooltune");
        return new BaseModels(cache, HubClient.fromEnvironment());
    }

    /** Resolves {@code id} (with an optional {@code revision}) to a directory holding config.json and weights. */
    public Resolved resolve(String id, String revision) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("base model id is empty");
        }
        if (id.equals(TINY_RANDOM)) {
            if (revision != null && !revision.equals(TINY_RANDOM_REVISION)) {
                throw new IllegalArgumentException("base model " + id + " has only revision " + TINY_RANDOM_REVISION
                        + ", not " + revision);
            }
            return new Resolved(id, tinyRandom(), TINY_RANDOM_REVISION);
        }
        Path local = localDirectory(id);
        if (local != null) {
            return new Resolved(id, local, revision != null ? revision : "local-" + fingerprint(local));
        }
        if (id.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            Path snapshot = hub.download(id, revision == null ? "main" : revision, (file, bytes, total) -> { });
            return new Resolved(id, snapshot, revision != null ? revision : snapshot.getFileName().toString());
        }
        throw new IllegalArgumentException("base model '" + id + "' is not " + TINY_RANDOM
                + ", a directory with config.json, or a Hugging Face Hub id (owner/name)");
    }

    private static Path localDirectory(String id) {
        Path dir;
        try {
            dir = id.startsWith("file:") ? Path.of(URI.create(id)) : Path.of(id);
        } catch (RuntimeException e) {
            return null;
        }
        return Files.isRegularFile(dir.resolve("config.json")) ? dir : null;
    }

    /** Writes the tiny random checkpoint once; concurrent first users race safely (write aside, then rename). */
    private Path tinyRandom() {
        Path dir = cache.resolve("models").resolve("gemma-3-tiny-random-" + TINY_RANDOM_REVISION);
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return dir;
        }
        try {
            Files.createDirectories(dir.getParent());
            Path staging = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".partial-");
            Gemma3Model.writeRandomCheckpoint(Gemma3Config.preset("tiny"), RandomInit.of(0), staging, StoredType.F32);
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
                deleteTree(staging);   // another process won the race; its checkpoint is identical
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the " + TINY_RANDOM + " checkpoint under " + dir, e);
        }
    }

    /** 12 hex digits of SHA-256 over config.json and the weight files' names and sizes: cheap, changes with the weights. */
    private static String fingerprint(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(dir.resolve("config.json"))) {
                sha.update(in.readAllBytes());
            }
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList()) {
                sha.update((file.getFileName() + ":" + Files.size(file) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model directory " + dir, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
