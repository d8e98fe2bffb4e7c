package dev.tooltune.trainer;

import io.quarkus.arc.Arc;

/**
 * The shared internal token ({@link TrainerSettings#internalToken}, env TOOLTUNE_INTERNAL_TOKEN) as the REST clients'
 * {@code @ClientHeaderParam} reads it for every call to dataset-service and the gateway; unset: no header is sent.
 */
public final class InternalToken {

    private InternalToken() {}

    public static String value() {
        return Arc.container().instance(TrainerSettings.class).get().internalToken().orElse(null);
    }
}
