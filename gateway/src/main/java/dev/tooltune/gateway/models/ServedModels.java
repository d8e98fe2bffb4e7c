package dev.tooltune.gateway.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.upstream.InferenceServiceApi;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/** What inference-service can answer with now: the base model it serves and the tenant's adapters it knows. */
@ApplicationScoped
public class ServedModels {
    private static final Logger LOG = Logger.getLogger(ServedModels.class);

    @Inject
    GatewayConfig config;
    @Inject
    @RestClient
    InferenceServiceApi inference;
    @Inject
    ObjectMapper json;

    /**
     * A model as inference-service lists it: its creation time and where it is loaded now ({@code device},
     * {@code host} or {@code none}; null if inference-service did not say).
     */
    public record Served(long created, String loaded) {
    }

    /** Model id (an adapter's by its adapterId) to what inference-service lists for the tenant; empty if it cannot be asked. */
    public Map<String, Served> served(String tenant) {
        Map<String, Served> served = new HashMap<>();
        try {
            int status;
            String body;
            try (Response response = inference.models(tenant)) {
                status = response.getStatus();
                body = response.readEntity(String.class);
            }
            if (status == 200) {
                for (JsonNode entry : json.readTree(body).path("data")) {
                    JsonNode loaded = entry.path("tooltune").path("loaded");
                    served.put(entry.path("id").asText(), new Served(entry.path("created").asLong(0),
                            loaded.isTextual() ? loaded.asText() : null));
                }
            } else {
                LOG.debugf("inference-service /v1/models answered %d", status);
            }
        } catch (Exception e) {
            LOG.debugf("inference-service /v1/models: %s", e.toString());
        }
        return served;
    }

    /**
     * The configured base models inference-service serves: a job on any other could never be answered with. When
     * inference-service cannot be asked, the configured list.
     */
    public List<String> servableBaseModels(String tenant) {
        Map<String, Served> served = served(tenant);
        return config.baseModels().stream().filter(id -> served.isEmpty() || served.containsKey(id)).toList();
    }
}
