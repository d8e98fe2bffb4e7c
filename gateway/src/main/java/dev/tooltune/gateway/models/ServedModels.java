package dev.tooltune.gateway.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tooltune.gateway.config.GatewayConfig;
import dev.tooltune.gateway.upstream.InternalHttp;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/** What inference-service can answer with now: the base model it serves and the tenant's adapters it knows. */
@ApplicationScoped
public class ServedModels {
    private static final Logger LOG = Logger.getLogger(ServedModels.class);

    @Inject
    GatewayConfig config;
    @Inject
    InternalHttp http;
    @Inject
    ObjectMapper json;

    /** Model id to creation time, as inference-service lists them for the tenant; empty if it cannot be asked. */
    public Map<String, Long> served(String tenant) {
        Map<String, Long> served = new HashMap<>();
        try {
            HttpResponse<String> response = http.client().send(http.request(
                    config.inferenceService().url(), "/v1/models", tenant).GET()
                            .timeout(java.time.Duration.ofSeconds(5)).build(),
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
        return served;
    }

    /**
     * The configured base models inference-service serves: a job on any other could never be answered with. When
     * inference-service cannot be asked, the configured list.
     */
    public List<String> servableBaseModels(String tenant) {
        Map<String, Long> served = served(tenant);
        return config.baseModels().stream().filter(id -> served.isEmpty() || served.containsKey(id)).toList();
    }
}
