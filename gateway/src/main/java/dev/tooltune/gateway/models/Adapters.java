package dev.tooltune.gateway.models;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.outbox.Outbox;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Keeps the adapter table equal to the adapters topic: a record upserts, a tombstone deletes. The other way round
 * too: an adapter the registry holds that the topic lost (a broker whose data was lost, a topic recreated) is
 * published again from the record the registry kept, so that inference-service serves it again.
 */
@ApplicationScoped
public class Adapters {
    private static final Logger LOG = Logger.getLogger(Adapters.class);

    @Inject
    Outbox outbox;
    @Inject
    GatewayConfig config;

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
        row.record = MessageCodec.ADAPTERS.toJson(adapter);
        row.persist();
    }

    @Transactional
    public void delete(String adapterId) {
        AdapterRecord.deleteById(adapterId);
    }

    /**
     * Publishes again (through the outbox) every adapter of the registry whose record the topic no longer holds.
     * Called once the whole topic has been read: a compacted topic keeps the last record of every live adapter, so
     * a registry row missing there was lost with the broker's data, not deleted (a delete removes the row first).
     *
     * @param onTopic the ids with a live (non-tombstone) record on the topic now
     * @return how many were published again
     */
    @Transactional
    public int republishLost(Set<String> onTopic) {
        int republished = 0;
        for (AdapterRecord row : AdapterRecord.<AdapterRecord>listAll()) {
            if (onTopic.contains(row.adapterId)) {
                continue;
            }
            if (row.record == null) {
                LOG.warnf("adapter %s (%s) is in the registry but not on %s, and its record was stored before the "
                        + "registry kept records: it cannot be published again", row.adapterId, row.fineTunedModel,
                        config.topics().adapters());
                continue;
            }
            outbox.add(config.topics().adapters(), row.adapterId, row.record);
            republished++;
        }
        if (republished > 0) {
            LOG.warnf("%d adapters of the registry were missing from %s (broker data lost?): published again",
                    republished, config.topics().adapters());
        }
        return republished;
    }
}
