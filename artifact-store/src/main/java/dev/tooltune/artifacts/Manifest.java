package dev.tooltune.artifacts;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What an artifact holds: each file's size and SHA-256, free-form metadata, and when it was published. Written as
 * {@value ArtifactStore#MANIFEST}, last, by {@link ArtifactStore#publish}.
 */
public record Manifest(Map<String, FileEntry> files, Map<String, String> metadata, Instant createdAt) {

    public record FileEntry(long size, String sha256) {}

    static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public Manifest {
        files = Collections.unmodifiableMap(new TreeMap<>(files));
        metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metadata));
    }

    /** Sizes and checksums of the regular files directly in {@code directory} (the manifest file itself excluded). */
    public static Manifest of(Path directory, Map<String, String> metadata) throws IOException {
        Map<String, FileEntry> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(directory)) {
            for (Path file : list.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(ArtifactStore.MANIFEST)) {
                    files.put(name, new FileEntry(Files.size(file), sha256(file)));
                }
            }
        }
        if (files.isEmpty()) {
            throw new IOException("nothing to publish: " + directory + " holds no files");
        }
        return new Manifest(files, metadata, Instant.now());
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest())) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        }
    }

    /** Checks {@code file} (named {@code name}) against this manifest. */
    public void verify(String name, Path file) throws IOException {
        FileEntry expected = files.get(name);
        if (expected == null) {
            throw new CorruptArtifactException(name + " is not listed in the artifact's manifest");
        }
        long size = Files.size(file);
        if (size != expected.size()) {
            throw new CorruptArtifactException(name + " has " + size + " bytes, the manifest says " + expected.size());
        }
        String actual = sha256(file);
        if (!actual.equals(expected.sha256())) {
            throw new CorruptArtifactException(name + " has SHA-256 " + actual + ", the manifest says " + expected.sha256());
        }
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Manifest fromJson(byte[] json) throws CorruptArtifactException {
        try {
            Manifest manifest = JSON.readValue(json, Manifest.class);
            if (manifest.files() == null || manifest.files().isEmpty()) {
                throw new CorruptArtifactException("the manifest lists no files");
            }
            return manifest;
        } catch (IOException e) {
            throw new CorruptArtifactException("unreadable manifest: " + e.getMessage());
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
