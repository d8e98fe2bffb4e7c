package dev.tooltune.gateway.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.outbox.Outbox;
import dev.tooltune.gateway.tenancy.Caller;
import dev.tooltune.gateway.upstream.InternalHttp;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestPath;

/**
 * OpenAI's models API: the base models inference-service serves (those of {@code tooltune.gateway.base-models};
 * the configured list when inference-service cannot be asked), visible to every tenant, and the caller's own
 * fine-tuned models from the adapters topic.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Models", description = "Base models and the tenant's fine-tuned models")
public class ModelsResource {
    private static final Logger LOG = Logger.getLogger(ModelsResource.class);

    @Inject
    Caller caller;
    @Inject
    GatewayConfig config;
    @Inject
    InternalHttp http;
    @Inject
    ObjectMapper json;
    @Inject
    Outbox outbox;
    @Inject
    ModelNames names;

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Model(String id, String object, long created, String owned_by) {
    }

    public record ModelList(String object, List<Model> data) {
    }

    @GET
    @Operation(summary = "Models the caller may use")
    public ModelList list() {
        String tenant = caller.tenantId();
        List<Model> models = new ArrayList<>(baseModels(tenant));
        models.addAll(io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() ->
                AdapterRecord.ofTenant(tenant).stream().map(ModelsResource::model).toList()));
        return new ModelList("list", models);
    }

    @GET
    @Path("/{model: .+}")
    @Operation(summary = "One model")
    @Transactional
    public Model retrieve(@RestPath String model) {
        if (names.isBaseModel(model)) {
            return new Model(model, "model", 0, "tooltune");
        }
        return AdapterRecord.byPublicName(caller.tenantId(), model).map(ModelsResource::model)
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

    private static Model model(AdapterRecord adapter) {
        return new Model(adapter.fineTunedModel, "model", adapter.createdAt.getEpochSecond(), adapter.tenantId);
    }

    /** The configured base models, in the order and with the dates inference-service lists them where it can. */
    private List<Model> baseModels(String tenant) {
        Map<String, Long> served = new HashMap<>();
        try {
            HttpResponse<String> response = http.client().send(http.request(
                    config.inferenceService().url(), "/v1/models", tenant).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                for (JsonNode entry : json.readTree(response.body()).path("data")) {
                    served.put(entry.path("id").asText(), entry.path("created").asLong(0));
                }
            } else {
                LOG.debugf("inference-service /v1/models answered %d", response.statusCode());
            }
        } catch (Exception e) {
            LOG.debugf("inference-service /v1/models: %s", e.toString());
        }
        List<Model> models = new ArrayList<>();
        for (String id : config.baseModels()) {
            if (served.isEmpty() || served.containsKey(id)) {
                models.add(new Model(id, "model", served.getOrDefault(id, 0L), "tooltune"));
            }
        }
        return models;
    }
}
