package dev.tooltune.artifacts;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Artifacts as folders under one root directory (a local disk, or a shared volume that trainers and inference both
 * mount). Publishing builds the folder aside, manifest included, and renames it into place in one step, so a reader
 * sees the old artifact or the new one, never a mix.
 */
public final class DirectoryArtifactStore implements ArtifactStore {

    private final Path root;

    public DirectoryArtifactStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public URI publish(String key, Path directory, Map<String, String> metadata) throws IOException {
        ArtifactStore.checkKey(key);
        Manifest manifest = Manifest.of(directory, metadata);
        Path target = pathOf(key);
        Files.createDirectories(target.getParent());
        Path staging = target.resolveSibling("." + target.getFileName() + ".partial-" + UUID.randomUUID());
        Files.createDirectory(staging);
        try {
            for (String name : manifest.files().keySet()) {
                Files.copy(directory.resolve(name), staging.resolve(name));
            }
            Files.write(staging.resolve(MANIFEST), manifest.toJson());
            if (Files.exists(target)) {
                // Replacing: move the old one aside first (rename is atomic; a directory cannot be renamed over).
                Path old = target.resolveSibling("." + target.getFileName() + ".old-" + UUID.randomUUID());
                move(target, old);
                move(staging, target);
                deleteTree(old);
            } else {
                move(staging, target);
            }
        } finally {
            deleteTree(staging);
        }
        return uriOf(key);
    }

    @Override
    public Optional<Manifest> manifest(String key) throws IOException {
        ArtifactStore.checkKey(key);
        try {
            return Optional.of(Manifest.fromJson(Files.readAllBytes(pathOf(key).resolve(MANIFEST))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public Manifest fetch(URI uri, Path target) throws IOException {
        Path source = Path.of(uri);
        if (!source.toAbsolutePath().normalize().startsWith(root)) {
            throw new IllegalArgumentException(uri + " is not in this store (" + root.toUri() + ")");
        }
        Manifest manifest;
        try {
            manifest = Manifest.fromJson(Files.readAllBytes(source.resolve(MANIFEST)));
        } catch (NoSuchFileException e) {
            throw new CorruptArtifactException("no artifact at " + uri + " (no " + MANIFEST + ")");
        }
        Files.createDirectories(target);
        for (String name : manifest.files().keySet()) {
            Path copy = target.resolve(name);
            Files.copy(source.resolve(name), copy, StandardCopyOption.REPLACE_EXISTING);
            try {
                manifest.verify(name, copy);
            } catch (IOException e) {
                Files.deleteIfExists(copy);
                throw e;
            }
        }
        return manifest;
    }

    @Override
    public void delete(String key) throws IOException {
        ArtifactStore.checkKey(key);
        Path target = pathOf(key);
        Files.deleteIfExists(target.resolve(MANIFEST));
        deleteTree(target);
    }

    @Override
    public URI uriOf(String key) {
        ArtifactStore.checkKey(key);
        return pathOf(key).toUri();
    }

    @Override
    public boolean isReachable() {
        try {
            Files.createDirectories(root);
            return Files.isWritable(root);
        } catch (IOException e) {
            return false;
        }
    }

    private Path pathOf(String key) {
        return root.resolve(key);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the artifact directory's file system cannot rename atomically (" + from + ")", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
