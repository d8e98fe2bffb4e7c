package dev.tooltune.chat.importing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/** The record formats a dataset file may be in; each turns a parsed line into a canonical OpenAI chat example. */
public enum ImportFormat {
    /** OpenAI's chat fine-tuning format, canonical or in the looser hand-made form. */
    OPENAI,
    /** ShareGPT / Hermes function calling: {@code conversations} of {@code from} / {@code value}. */
    SHAREGPT,
    /** xLAM / APIGen: {@code query}, {@code tools}, {@code answers}. */
    XLAM,
    /** Decide per line from the fields present. */
    AUTO;

    /** Converts one parsed line and normalises it; the result is in canonical field order. */
    public ObjectNode toCanonical(JsonNode record) throws ConversionException {
        if (record == null || !record.isObject()) {
            throw new ConversionException(ImportProblem.ROOT, "each line must hold one JSON object");
        }
        ImportFormat format = this == AUTO ? detect(record) : this;
        JsonNode openAi = switch (format) {
            case SHAREGPT -> ShareGptConverter.toOpenAi(record);
            case XLAM -> XlamConverter.toOpenAi(record);
            default -> {
                if (!record.has("messages")) {
                    throw new ConversionException("$.messages", missingMessagesReason(record));
                }
                yield record;
            }
        };
        return ChatNormalizer.normalize(openAi);
    }

    private static ImportFormat detect(JsonNode record) {
        if (ShareGptConverter.recognizes(record)) {
            return SHAREGPT;
        }
        if (XlamConverter.recognizes(record)) {
            return XLAM;
        }
        return OPENAI;
    }

    private static String missingMessagesReason(JsonNode record) {
        String hint = "";
        if (ShareGptConverter.recognizes(record)) {
            hint = "; this line looks like ShareGPT/Hermes, import it with format=sharegpt (or auto)";
        } else if (XlamConverter.recognizes(record)) {
            hint = "; this line looks like xLAM/APIGen, import it with format=xlam (or auto)";
        }
        return "an example needs a \"messages\" list" + hint;
    }

    /** Accepts the names users type: openai, sharegpt, hermes, xlam, apigen, auto (any case). */
    public static ImportFormat parse(String name) {
        if (name == null || name.isBlank()) {
            return OPENAI;
        }
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "openai", "chat" -> OPENAI;
            case "sharegpt", "hermes" -> SHAREGPT;
            case "xlam", "apigen" -> XLAM;
            case "auto" -> AUTO;
            default -> throw new IllegalArgumentException("unknown format \"" + name
                    + "\"; use openai, sharegpt (hermes), xlam (apigen) or auto");
        };
    }
}
