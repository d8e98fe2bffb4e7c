package dev.tooltune.gateway.outbox;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * The transactional outbox: a Kafka record to send is written as a row in the caller's transaction, so it exists
 * exactly when the change it announces was committed. {@link OutboxRelay} sends it afterwards.
 */
@ApplicationScoped
public class Outbox {
    @Inject
    EntityManager entityManager;
    @Inject
    OutboxRelay relay;

    /** Adds a record (a null value is a tombstone); must run inside the transaction of the change it announces. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void add(String topic, String key, String value) {
        entityManager.createNativeQuery("insert into outbox_message (topic, record_key, payload) values (?1, ?2, ?3)")
                .setParameter(1, topic)
                .setParameter(2, key)
                .setParameter(3, value)
                .executeUpdate();
        relay.wakeAfterCommit();
    }
}
