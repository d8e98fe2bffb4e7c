package dev.tooltune.inference.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.toolcall.CanonicalJson;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.grammar.ConstrainedDecoding;
import dev.tooltune.grammar.schema.SchemaCompiler;
import dev.tooltune.grammar.schema.SchemaException;
import dev.tooltune.inference.api.ApiException;
import dev.tooltune.inference.api.ResponseFormat;
import dev.tooltune.inference.api.ToolChoice;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link ConstraintFactory} on module tool-grammar: one {@link ConstrainedDecoding} per tokenizer (built on first use,
 * a second or two), whose compiled grammars are cached per tool set and mode. A schema the grammar cannot compile is
 * the client's error (400 naming the tools).
 */
public final class ToolGrammarConstraints implements ConstraintFactory {
    private volatile ConstrainedDecoding decoding;
    private volatile GemmaTokenizer tokenizerOfDecoding;
    /** Per tool schema (canonical JSON): whether the grammar enforces all of it. Bounded, least recently used out. */
    private final Map<String, Boolean> wholeSchemaEnforced = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 256;
        }
    };

    @Override
    public TokenConstraint forTools(List<ToolDefinition> tools, ToolChoice choice, boolean parallelToolCalls,
            GemmaTokenizer tokenizer) {
        dev.tooltune.grammar.ToolChoice grammarChoice = switch (choice.mode()) {
            case NONE -> dev.tooltune.grammar.ToolChoice.NONE;
            case AUTO -> dev.tooltune.grammar.ToolChoice.AUTO;
            case REQUIRED -> dev.tooltune.grammar.ToolChoice.REQUIRED;
            case FUNCTION -> dev.tooltune.grammar.ToolChoice.named(choice.function());
        };
        try {
            return decoding(tokenizer).forTools(tools, grammarChoice, parallelToolCalls).orElse(null);
        } catch (SchemaException e) {
            throw ApiException.invalid("tools", "A tool's parameters cannot be enforced: " + e.getMessage());
        }
    }

    @Override
    public boolean enforcesWholeSchema(ToolDefinition tool) {
        JsonNode parameters = tool.function().parameters();
        if (parameters == null) {
            return true;
        }
        String key = CanonicalJson.write(parameters);
        synchronized (wholeSchemaEnforced) {
            Boolean known = wholeSchemaEnforced.get(key);
            if (known != null) {
                return known;
            }
        }
        boolean whole;
        try {
            whole = SchemaCompiler.compile(parameters).postChecked().isEmpty();
        } catch (RuntimeException e) {
            whole = false;   // not compilable: forTools refuses the request anyway
        }
        synchronized (wholeSchemaEnforced) {
            wholeSchemaEnforced.put(key, whole);
        }
        return whole;
    }

    @Override
    public TokenConstraint forResponseFormat(ResponseFormat format, GemmaTokenizer tokenizer) {
        ObjectNode json = ChatJson.MAPPER.createObjectNode();
        switch (format.type()) {
            case TEXT -> {
                return null;
            }
            case JSON_OBJECT -> json.put("type", "json_object");
            case JSON_SCHEMA -> {
                json.put("type", "json_schema");
                ObjectNode spec = json.putObject("json_schema");
                spec.put("name", format.name());
                if (format.schema() != null) {
                    spec.set("schema", format.schema());
                } else {
                    spec.putObject("schema");
                }
            }
        }
        try {
            return decoding(tokenizer).forResponseFormat(json).orElse(null);
        } catch (SchemaException e) {
            throw ApiException.invalid("response_format.json_schema.schema", "The schema cannot be enforced: "
                    + e.getMessage());
        }
    }

    private ConstrainedDecoding decoding(GemmaTokenizer tokenizer) {
        ConstrainedDecoding current = decoding;
        if (current == null || tokenizerOfDecoding != tokenizer) {
            synchronized (this) {
                if (decoding == null || tokenizerOfDecoding != tokenizer) {
                    decoding = ConstrainedDecoding.of(tokenizer);
                    tokenizerOfDecoding = tokenizer;
                }
                current = decoding;
            }
        }
        return current;
    }
}
