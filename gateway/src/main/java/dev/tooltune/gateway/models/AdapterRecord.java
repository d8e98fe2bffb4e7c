package dev.tooltune.gateway.models;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A servable adapter as last read from the adapters topic, with its public (OpenAI-style) model name. */
@Entity
@Table(name = "adapter")
public class AdapterRecord extends PanacheEntityBase {
    @Id
    public String adapterId;
    public String tenantId;
    public String name;
    public int version;
    public String jobId;
    public String baseModel;
    public String method;
    public String fineTunedModel;
    public Instant createdAt;
    /** The adapters record as read (MessageCodec JSON): published again if the topic loses it. */
    @JdbcTypeCode(SqlTypes.JSON)
    @Column(columnDefinition = "jsonb")
    public String record;

    /** The tenant's adapter with this public name; another tenant's is never found. */
    public static Optional<AdapterRecord> byPublicName(String tenantId, String fineTunedModel) {
        return find("tenantId = ?1 and fineTunedModel = ?2", tenantId, fineTunedModel).firstResultOptional();
    }

    public static List<AdapterRecord> ofTenant(String tenantId) {
        return list("tenantId = ?1 order by createdAt, adapterId", tenantId);
    }
}
