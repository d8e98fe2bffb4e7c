package dev.tooltune.artifacts;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where trained adapters and training checkpoints are kept: a local directory by default, an S3-compatible bucket in
 * production. An artifact is a flat set of files under a key such as {@code adapters/acme/adp-123}.
 *
 * <p>Publishing is atomic for readers: the files go up first and the {@link Manifest} (every file's size and SHA-256)
 * last, and an artifact without a manifest does not exist. Fetching verifies every file against the manifest, so a
 * reader never uses half an artifact or a corrupted one.
 */
public interface ArtifactStore {

    /** The name of the manifest file inside every artifact. */
    String MANIFEST = "manifest.json";

    /**
     * Publishes the regular files directly in {@code directory} under {@code key}, replacing an artifact of that key.
     * Keys are {@code /}-separated segments of letters, digits, {@code . _ -}.
     *
     * @param metadata free-form facts to keep in the manifest (job, tenant, base model, ...); may be empty
     * @return the artifact's URI ({@code file:///...} or {@code s3://bucket/prefix/key/})
     */
    URI publish(String key, Path directory, java.util.Map<String, String> metadata) throws IOException;

    /** The manifest of the artifact at {@code key}, or empty when there is none (or it is still being written). */
    Optional<Manifest> manifest(String key) throws IOException;

    /**
     * Copies the artifact at {@code uri} (one of this store's) into {@code target} (created if missing), checking each
     * file's size and SHA-256; throws {@link CorruptArtifactException} on a mismatch, leaving no verified-looking copy.
     */
    Manifest fetch(URI uri, Path target) throws IOException;

    /** Deletes the artifact at {@code key}; the manifest goes first, so readers never see a partial artifact. */
    void delete(String key) throws IOException;

    /** The URI {@link #publish} returns for {@code key}. */
    URI uriOf(String key);

    /** Whether this store can be reached (readiness checks). */
    boolean isReachable();

    static void checkKey(String key) {
        if (key == null || !key.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*") || key.contains("..")) {
            throw new IllegalArgumentException("artifact key '" + key
                    + "' must be /-separated segments of letters, digits, '.', '_' or '-' (no '..')");
        }
    }
}
