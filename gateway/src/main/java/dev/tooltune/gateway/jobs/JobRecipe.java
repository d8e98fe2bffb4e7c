package dev.tooltune.gateway.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.DatasetRef;
import dev.tooltune.contracts.jobs.Hyperparameters;
import dev.tooltune.contracts.jobs.LoraSettings;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.gateway.api.OpenAiException;
import dev.tooltune.gateway.config.GatewayConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns an OpenAI job request into the complete training-jobs message: every value OpenAI calls "auto" is filled
 * from {@code tooltune.gateway.job-defaults}, so the message alone says how the adapter was trained.
 *
 * <p>OpenAI's fields: {@code method.supervised.hyperparameters} ({@code n_epochs}, {@code batch_size},
 * {@code learning_rate_multiplier}, each a value or "auto"; the deprecated top-level {@code hyperparameters} too).
 * ToolTune's extension, a top-level {@code tooltune} object: {@code method} (lora, qlora, full),
 * {@code learning_rate} (absolute, instead of the multiplier), {@code gradient_accumulation_steps},
 * {@code max_length}, and {@code lora} ({@code rank}, {@code alpha}, {@code dropout}, {@code target_modules},
 * {@code rs_lora}).
 */
final class JobRecipe {
    private static final Set<String> EXTENSION_FIELDS = Set.of("method", "learning_rate",
            "gradient_accumulation_steps", "max_length", "lora");
    private static final Set<String> LORA_FIELDS = Set.of("rank", "alpha", "dropout", "target_modules", "rs_lora");

    private final GatewayConfig.JobDefaults defaults;

    JobRecipe(GatewayConfig.JobDefaults defaults) {
        this.defaults = defaults;
    }

    TrainingJob build(String jobId, String tenantId, Instant now, JsonNode request, String model,
                      DatasetRef training, DatasetRef validation, long seed, String adapterName) {
        JsonNode hyper = hyperparameters(request);
        JsonNode extension = object(request, "tooltune");
        checkKnown(extension, EXTENSION_FIELDS, "tooltune.");
        TrainingMethod method = method(text(extension, "method", "tooltune.method", defaults.method()));
        int epochs = wholeOrAuto(hyper, "n_epochs", defaults.epochs());
        int batchSize = wholeOrAuto(hyper, "batch_size", defaults.batchSize());
        double baseRate = method == TrainingMethod.FULL ? defaults.fullLearningRate() : defaults.learningRate();
        double learningRate = extension.has("learning_rate")
                ? number(extension.get("learning_rate"), "tooltune.learning_rate")
                : baseRate * numberOrAuto(hyper, "learning_rate_multiplier", 1.0);
        int accumulation = extension.has("gradient_accumulation_steps")
                ? whole(extension.get("gradient_accumulation_steps"), "tooltune.gradient_accumulation_steps")
                : defaults.gradientAccumulationSteps();
        int maxLength = extension.has("max_length") ? whole(extension.get("max_length"), "tooltune.max_length")
                : defaults.maxLength();
        LoraSettings lora = null;
        JsonNode loraRequest = object(extension, "lora");
        if (method.usesAdapters()) {
            checkKnown(loraRequest, LORA_FIELDS, "tooltune.lora.");
            lora = new LoraSettings(
                    loraRequest.has("rank") ? whole(loraRequest.get("rank"), "tooltune.lora.rank") : defaults.loraRank(),
                    loraRequest.has("alpha") ? number(loraRequest.get("alpha"), "tooltune.lora.alpha") : defaults.loraAlpha(),
                    loraRequest.has("dropout") ? number(loraRequest.get("dropout"), "tooltune.lora.dropout")
                            : defaults.loraDropout(),
                    loraRequest.has("target_modules") ? strings(loraRequest.get("target_modules"),
                            "tooltune.lora.target_modules") : defaults.loraTargetModules(),
                    loraRequest.has("rs_lora") ? bool(loraRequest.get("rs_lora"), "tooltune.lora.rs_lora") : false);
        } else if (!loraRequest.isEmpty()) {
            throw OpenAiException.invalidRequest("tooltune.lora", "invalid_value",
                    "tooltune.lora must be absent for method full (it trains all weights, not adapters).");
        }
        return new TrainingJob(jobId, tenantId, now, new BaseModel(model, null), training, validation, method,
                new Hyperparameters(epochs, learningRate, batchSize, accumulation, maxLength), lora, seed,
                adapterName);
    }

    /** The supervised hyperparameters: method.supervised.hyperparameters, else the deprecated top-level ones. */
    private static JsonNode hyperparameters(JsonNode request) {
        JsonNode method = object(request, "method");
        if (!method.isEmpty()) {
            String type = method.path("type").asText("supervised");
            if (!"supervised".equals(type)) {
                throw OpenAiException.invalidRequest("method.type", "invalid_value", "method.type '" + type
                        + "' is not supported: this server fine-tunes with 'supervised' only.");
            }
            JsonNode supervised = object(method, "supervised");
            return object(supervised, "hyperparameters");
        }
        return object(request, "hyperparameters");
    }

    private static TrainingMethod method(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "lora" -> TrainingMethod.LORA;
            case "qlora" -> TrainingMethod.QLORA;
            case "full" -> TrainingMethod.FULL;
            default -> throw OpenAiException.invalidRequest("tooltune.method", "invalid_value",
                    "tooltune.method must be lora, qlora or full (was '" + name + "').");
        };
    }

    static JsonNode object(JsonNode parent, String field) {
        JsonNode node = parent.path(field);
        if (node.isMissingNode() || node.isNull()) {
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
        if (!node.isObject()) {
            throw OpenAiException.invalidRequest(field, "invalid_type", field + " must be an object.");
        }
        return node;
    }

    private static void checkKnown(JsonNode object, Set<String> known, String prefix) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw OpenAiException.invalidRequest(prefix + name, "unknown_parameter", "Unknown parameter: '"
                        + prefix + name + "'. Known: " + String.join(", ", known.stream().sorted().toList()) + ".");
            }
        }
    }

    private static String text(JsonNode object, String field, String param, String fallback) {
        JsonNode node = object.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw OpenAiException.invalidRequest(param, "invalid_type", param + " must be a string.");
        }
        return node.asText();
    }

    private static int wholeOrAuto(JsonNode object, String field, int auto) {
        JsonNode node = object.get(field);
        return node == null || node.isNull() || "auto".equals(node.asText(null)) ? auto : whole(node, field);
    }

    private static double numberOrAuto(JsonNode object, String field, double auto) {
        JsonNode node = object.get(field);
        return node == null || node.isNull() || "auto".equals(node.asText(null)) ? auto : number(node, field);
    }

    private static int whole(JsonNode node, String param) {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw OpenAiException.invalidRequest(param, "invalid_type", param + " must be a whole number or 'auto' "
                    + "(was " + node + ").");
        }
        return node.asInt();
    }

    private static double number(JsonNode node, String param) {
        if (!node.isNumber() || !Double.isFinite(node.asDouble())) {
            throw OpenAiException.invalidRequest(param, "invalid_type", param + " must be a number (was " + node
                    + ").");
        }
        return node.asDouble();
    }

    private static boolean bool(JsonNode node, String param) {
        if (!node.isBoolean()) {
            throw OpenAiException.invalidRequest(param, "invalid_type", param + " must be true or false.");
        }
        return node.asBoolean();
    }

    private static List<String> strings(JsonNode node, String param) {
        if (!node.isArray()) {
            throw OpenAiException.invalidRequest(param, "invalid_type", param + " must be an array of strings.");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw OpenAiException.invalidRequest(param, "invalid_type", param + " must be an array of strings.");
            }
            values.add(item.asText());
        }
        return values;
    }
}
