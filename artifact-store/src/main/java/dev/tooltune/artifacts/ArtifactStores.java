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
     * A directory store for a path or a {@code file:} URI. {@code s3://} locations are refused with a clear error
     * until an S3 store is part of this module.
     *
     * @param setting the name of the setting the location came from, for the error message
     */
    public static ArtifactStore open(String location, String setting) {
        String value = location == null ? "" : location.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException(setting + ": the artifact store location is empty; "
                    + "give a directory (path or file:///dir)");
        }
        if (value.startsWith("s3://")) {
            throw new IllegalArgumentException(setting + "=" + value + ": s3:// stores are not supported by this build yet; "
                    + "use a directory (path or file:///dir) shared by trainer-service and inference-service");
        }
        Path root = value.startsWith("file:") ? Path.of(URI.create(value)) : Path.of(value);
        return new DirectoryArtifactStore(root);
    }
}
