package dev.tooltune.model.hub;

/** A Hub request that failed in a way the user can act on; the message says which file, what status and what to do. */
public class HubException extends RuntimeException {
    private final int status;

    public HubException(String message, int status) {
        super(message);
        this.status = status;
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** HTTP status, or -1 for I/O failures. */
    public int status() {
        return status;
    }
}
