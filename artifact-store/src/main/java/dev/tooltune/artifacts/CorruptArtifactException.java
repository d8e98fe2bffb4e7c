package dev.tooltune.artifacts;

import java.io.IOException;

/** A fetched file does not match its manifest (size or SHA-256), or the manifest is missing or unreadable. */
public final class CorruptArtifactException extends IOException {
    public CorruptArtifactException(String message) {
        super(message);
    }
}
