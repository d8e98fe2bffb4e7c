package dev.tooltune.gateway.models;

import io.quarkus.security.Authenticated;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.outbox.Outbox;
import dev.tooltune.gateway.tenancy.Caller;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;

/**
 * OpenAI's models API: the base models inference-service serves (those of {@code tooltune.gateway.base-models};
 * the configured list when inference-service cannot be asked), visible to every tenant, and the caller's own
 * fine-tuned models from the adapters topic that inference-service can answer with: a registry row whose adapter
 * inference-service does not know (its record was lost with the broker's data and is being published again) is not
 * listed, so that a listed model never answers 404.
 */
@Authenticated
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Models", description = "Base models and the tenant's fine-tuned models")
public class ModelsResource {

    @Inject
    Caller caller;
    @Inject
    GatewayConfig config;
    @Inject
    Outbox outbox;
    @Inject
    ModelNames names;
    @Inject
    ServedModels servedModels;

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Model(String id, String object, long created, String owned_by,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @Schema(description = "ToolTune's extension; absent when inference-service cannot be asked")
            Extension tooltune) {
    }

    public record Extension(
            @Schema(description = "Where inference-service holds the model now: `device` (loaded in the engine, on the "
                    + "GPU where there is one; a base model always is), `host` (an adapter's verified files in the "
                    + "host cache, loaded on its next request) or `none` (fetched from the artifact store on its next "
                    + "request). A snapshot: the next request or an eviction may change it.",
                    enumeration = {"device", "host", "none"})
            String loaded) {
    }

    public record ModelList(String object, List<Model> data) {
    }

    @GET
    @Operation(summary = "Models the caller may use")
    public ModelList list() {
        String tenant = caller.tenantId();
        Map<String, ServedModels.Served> served = servedModels.served(tenant);
        List<Model> models = new ArrayList<>(baseModels(served));
        models.addAll(io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() ->
                AdapterRecord.ofTenant(tenant).stream()
                        .filter(adapter -> served.isEmpty() || served.containsKey(adapter.adapterId))
                        .map(adapter -> model(adapter, served.get(adapter.adapterId))).toList()));
        return new ModelList("list", models);
    }

    @GET
    @Path("/{model: .+}")
    @Operation(summary = "One model")
    public Model retrieve(@RestPath String model) {
        Map<String, ServedModels.Served> served = servedModels.served(caller.tenantId());
        if (names.isBaseModel(model)) {
            return new Model(model, "model", 0, "tooltune", extension(served.get(model)));
        }
        return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() ->
                AdapterRecord.byPublicName(caller.tenantId(), model))
                .map(adapter -> model(adapter, served.get(adapter.adapterId)))
                .orElseThrow(() -> ModelNames.notFound(model));
    }

    @DELETE
    @Path("/{model: .+}")
    @Operation(summary = "Delete a fine-tuned model: a tombstone on the adapters topic, through the outbox")
    @Transactional
    public Map<String, Object> delete(@RestPath String model) {
        AdapterRecord adapter = AdapterRecord.byPublicName(caller.tenantId(), model)
                .orElseThrow(() -> ModelNames.notFound(model));
        outbox.add(config.topics().adapters(), adapter.adapterId, null);
        adapter.delete();
        return Map.of("id", model, "object", "model", "deleted", true);
    }

    private static Model model(AdapterRecord adapter, ServedModels.Served served) {
        return new Model(adapter.fineTunedModel, "model", adapter.createdAt.getEpochSecond(), adapter.tenantId,
                extension(served));
    }

    /** inference-service's load state, passed through; null (no extension) when it did not say. */
    private static Extension extension(ServedModels.Served served) {
        return served == null || served.loaded() == null ? null : new Extension(served.loaded());
    }

    /** The configured base models, in the order and with the dates inference-service lists them where it can. */
    private List<Model> baseModels(Map<String, ServedModels.Served> served) {
        List<Model> models = new ArrayList<>();
        for (String id : config.baseModels()) {
            if (served.isEmpty() || served.containsKey(id)) {
                ServedModels.Served entry = served.get(id);
                models.add(new Model(id, "model", entry == null ? 0L : entry.created(), "tooltune", extension(entry)));
            }
        }
        return models;
    }
}
