package dev.tooltune.inference.adapters;

import dev.tooltune.contracts.adapters.Adapter;

/** An adapter from the topic that this service can serve (its base model is the served one). */
public record ServableAdapter(Adapter record) {

    public String id() {
        return record.adapterId();
    }

    public String tenantId() {
        return record.tenantId();
    }

    public String name() {
        return record.name();
    }

    public int version() {
        return record.version();
    }

    /** {@code tenantId/name}, the model name that always means the name's highest version. */
    public String qualifiedName() {
        return record.tenantId() + "/" + record.name();
    }
}
