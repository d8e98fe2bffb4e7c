package dev.tooltune.contracts;

/**
 * How one ToolTune service proves to another that it is one of them: the shared secret {@code TOOLTUNE_INTERNAL_TOKEN}
 * in header {@value #TOKEN_HEADER}. Senders (gateway, trainer-service) and receivers (dataset-service, gateway's
 * training claims, inference-service, all through the internal-auth module) name the header from here only.
 */
public final class InternalCalls {
    public static final String TOKEN_HEADER = "X-Tooltune-Internal-Token";

    private InternalCalls() {}
}
