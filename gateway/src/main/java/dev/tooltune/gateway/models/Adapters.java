package dev.tooltune.gateway.models;

import dev.tooltune.contracts.adapters.Adapter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

/** Keeps the adapter table equal to the adapters topic: a record upserts, a tombstone deletes. */
@ApplicationScoped
public class Adapters {

    @Transactional
    public void put(Adapter adapter) {
        AdapterRecord row = AdapterRecord.findById(adapter.adapterId());
        if (row == null) {
            row = new AdapterRecord();
            row.adapterId = adapter.adapterId();
        }
        row.tenantId = adapter.tenantId();
        row.name = adapter.name();
        row.version = adapter.version();
        row.jobId = adapter.jobId();
        row.baseModel = adapter.baseModel().id();
        row.method = adapter.method().name().toLowerCase(java.util.Locale.ROOT);
        row.fineTunedModel = FineTunedModelNames.of(adapter.baseModel().id(), adapter.tenantId(), adapter.name(),
                adapter.jobId());
        row.createdAt = adapter.createdAt();
        row.persist();
    }

    @Transactional
    public void delete(String adapterId) {
        AdapterRecord.deleteById(adapterId);
    }
}
