package dev.tooltune.artifacts;

import java.net.URI;
import java.nio.file.Path;

/**
 * Opens the artifact store named by one location setting ({@code tooltune.artifacts.uri}, env
 * {@code TOOLTUNE_ARTIFACTS_URI}), so that trainer-service (which publishes) and inference-service (which fetches)
 * read the same setting the same way.
 */
public final class ArtifactStores {

    private ArtifactStores() {
    }

    /**
     * A directory store for a path or a {@code file:} URI; an {@link S3ArtifactStore} for {@code s3://bucket/prefix},
     * reached with {@link S3Settings#fromEnvironment()} (endpoint, region, path style, credentials).
     *
     * @param setting the name of the setting the location came from, for the error message
     */
    public static ArtifactStore open(String location, String setting) {
        return open(location, setting, S3Settings::fromEnvironment);
    }

    /** As {@link #open(String, String)}, with the S3 settings given (read only for {@code s3://} locations). */
    public static ArtifactStore open(String location, String setting, java.util.function.Supplier<S3Settings> s3) {
        String value = location == null ? "" : location.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException(setting + ": the artifact store location is empty; "
                    + "give a directory (path or file:///dir) or s3://bucket/prefix");
        }
        if (value.startsWith("s3:")) {
            URI uri;
            try {
                uri = URI.create(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + "=" + value + " is not a valid s3://bucket/prefix URI: "
                        + e.getMessage());
            }
            if (!value.startsWith("s3://") || uri.getHost() == null) {
                throw new IllegalArgumentException(setting + "=" + value + " must look like s3://bucket/prefix");
            }
            try {
                return S3ArtifactStore.open(uri, s3.get());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + "=" + value + ": " + e.getMessage(), e);
            }
        }
        Path root = value.startsWith("file:") ? Path.of(URI.create(value)) : Path.of(value);
        return new DirectoryArtifactStore(root);
    }
}
