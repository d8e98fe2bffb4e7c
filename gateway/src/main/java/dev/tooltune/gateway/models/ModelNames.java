package dev.tooltune.gateway.models;

import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.config.GatewayConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What a public {@code model} means at inference-service: a base model goes as it is, a fine-tuned model of the
 * caller's tenant becomes its adapterId. Anything else, another tenant's model included, does not exist (404): the
 * gateway never forwards a name it has not resolved, so inference-service's own name forms (adapter ids,
 * {@code tenant/name}) cannot be used to reach another tenant's adapter.
 */
@ApplicationScoped
public class ModelNames {
    private final GatewayConfig config;

    public ModelNames(GatewayConfig config) {
        this.config = config;
    }

    public boolean isBaseModel(String model) {
        return config.baseModels().contains(model);
    }

    /** The name to send to inference-service. */
    public String resolve(String tenantId, String model) {
        if (isBaseModel(model)) {
            return model;
        }
        return QuarkusTransaction.joiningExisting().call(() -> AdapterRecord.byPublicName(tenantId, model))
                .map(adapter -> adapter.adapterId)
                .orElseThrow(() -> notFound(model));
    }

    public static OpenAiException notFound(String model) {
        return new OpenAiException(404, "invalid_request_error", "model_not_found", "model", "The model `" + model
                + "` does not exist or you do not have access to it.");
    }
}
