package dev.tooltune.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.CanonicalJson;
import dev.tooltune.grammar.automaton.ByteTrie;
import dev.tooltune.grammar.automaton.OutputSpec;
import dev.tooltune.grammar.automaton.PatternFrame;
import dev.tooltune.grammar.automaton.Shortest;
import dev.tooltune.grammar.automaton.StringFrame;
import dev.tooltune.grammar.automaton.TextFrame;
import dev.tooltune.grammar.check.OutputCheck;
import dev.tooltune.grammar.mask.MaskCache;
import dev.tooltune.grammar.regex.Formats;
import dev.tooltune.grammar.regex.PatternMachine;
import dev.tooltune.grammar.schema.SchemaCompiler;
import dev.tooltune.grammar.schema.SchemaException;
import dev.tooltune.grammar.schema.SchemaNode;
import dev.tooltune.grammar.vocabulary.GrammarVocabulary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The entry point: turns a request's tools and {@code tool_choice} (or its {@code response_format}) into a
 * {@link TokenConstraint}, compiling each distinct tool set and mode once and keeping the compiled grammars in a
 * bounded LRU cache. One instance per tokenizer, shared by all requests; thread-safe.
 *
 * <pre>{@code
 * ConstrainedDecoding decoding = ConstrainedDecoding.of(GemmaTokenizer.loadDefault());
 * Optional<TokenConstraint> constraint = decoding.forTools(tools, ToolChoice.REQUIRED, true);
 * // decoder: constraint.allowedTokens(mask) before sampling, constraint.accept(token) after
 * List<String> problems = decoding.check().toolCalls(new ToolCallParser().parse(text), tools, ToolChoice.REQUIRED, true);
 * }</pre>
 */
public final class ConstrainedDecoding {

    /**
     * @param grammars compiled grammars kept (LRU)
     * @param localMasksPerGrammar frame-local masks kept per grammar (32 KiB each for the Gemma 3 vocabulary)
     * @param statesPerGrammar memoised state masks kept per grammar (small: they share the local masks)
     */
    public record Options(int grammars, int localMasksPerGrammar, int statesPerGrammar) {
        public static final Options DEFAULTS = new Options(32, 512, 8192);

        public Options {
            if (grammars < 1 || localMasksPerGrammar < 1 || statesPerGrammar < 1) {
                throw new IllegalArgumentException("cache sizes must be positive: " + this);
            }
        }
    }

    private final GrammarVocabulary vocabulary;
    private final Options options;
    private final OutputCheck check = new OutputCheck();
    private final Map<String, Grammar> grammars;

    public ConstrainedDecoding(GrammarVocabulary vocabulary, Options options) {
        this.vocabulary = vocabulary;
        this.options = options;
        this.grammars = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Grammar> eldest) {
                return size() > options.grammars();
            }
        };
    }

    /**
     * The engine for {@code tokenizer}, with the masks every grammar shares (plain text, the inside of a string)
     * computed up front, so that no request pays for them.
     */
    public static ConstrainedDecoding of(GemmaTokenizer tokenizer) {
        ConstrainedDecoding decoding = new ConstrainedDecoding(GrammarVocabulary.of(tokenizer), Options.DEFAULTS);
        decoding.prepareSharedMasks();
        return decoding;
    }

    /** Computes the local masks that all grammars share: text outside calls, and strings without pending characters. */
    public void prepareSharedMasks() {
        MaskCache masks = new MaskCache(vocabulary, 1, 1);
        masks.prepare(new TextFrame(0, false));
        masks.prepare(new StringFrame(0, -1, 0, 0, 0));
        masks.prepare(new StringFrame(1, -1, 0, 0, 0));
        for (String format : Formats.ENFORCED) {
            preparePattern(masks, PatternMachine.ofPattern(Formats.pattern(format))); // shared by every schema
        }
    }

    /**
     * States of a pattern's automaton whose masks are computed up front (reached by ASCII characters from the start,
     * breadth first): a first visit of a pattern state otherwise walks the token trie on the serving thread.
     */
    static final int PREPARED_PATTERN_STATES = 256;

    private static void preparePattern(MaskCache masks, PatternMachine machine) {
        for (int state : machine.asciiStates(PREPARED_PATTERN_STATES)) {
            masks.prepare(new PatternFrame(machine, state, 0, 0, 0));
        }
    }

    public GrammarVocabulary vocabulary() {
        return vocabulary;
    }

    /** The post-generation checks (full JSON Schema validation and the mode's rules). */
    public OutputCheck check() {
        return check;
    }

    /**
     * The constraint for a request with {@code tools}: empty when there are no tools or {@code choice} is none
     * (generation is then free).
     *
     * @throws SchemaException when a tool's schema cannot be compiled (the message says which tool and where)
     * @throws IllegalArgumentException for a named choice that is not among the tools, or duplicate tool names
     */
    public Optional<TokenConstraint> forTools(List<ToolDefinition> tools, ToolChoice choice, boolean parallelToolCalls) {
        if (tools == null || tools.isEmpty() || choice instanceof ToolChoice.None) {
            return Optional.empty();
        }
        return Optional.of(toolGrammar(tools, choice, parallelToolCalls).newConstraint());
    }

    /**
     * The constraint for OpenAI's {@code response_format}: {@code {"type": "json_object"}} (any JSON object) or
     * {@code {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}}; empty for null or
     * {@code {"type": "text"}}.
     */
    public Optional<TokenConstraint> forResponseFormat(JsonNode responseFormat) {
        JsonNode schema = responseFormatSchema(responseFormat);
        return schema == null ? Optional.empty() : Optional.of(jsonGrammar(schema).newConstraint());
    }

    /** The schema a {@code response_format} asks for, or null when it asks for text. */
    public static JsonNode responseFormatSchema(JsonNode responseFormat) {
        if (responseFormat == null || responseFormat.isNull() || responseFormat.isMissingNode()) {
            return null;
        }
        String type = responseFormat.path("type").asText("");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> ChatJson.MAPPER.createObjectNode().put("type", "object");
            case "json_schema" -> {
                JsonNode schema = responseFormat.path("json_schema").path("schema");
                if (!schema.isObject() && !schema.isBoolean()) {
                    throw new IllegalArgumentException("response_format.json_schema.schema: expected a JSON Schema object");
                }
                yield schema;
            }
            default -> throw new IllegalArgumentException("response_format.type: expected \"text\", \"json_object\" or"
                    + " \"json_schema\", got \"" + type + "\"");
        };
    }

    /** The compiled grammar of a tool set and mode (cached). {@code choice} must not be none. */
    public Grammar toolGrammar(List<ToolDefinition> tools, ToolChoice choice, boolean parallelToolCalls) {
        if (choice instanceof ToolChoice.None) {
            throw new IllegalArgumentException("tool_choice none has no grammar");
        }
        StringBuilder key = new StringBuilder("tools ").append(choice).append(' ').append(parallelToolCalls);
        for (ToolDefinition tool : tools) {
            key.append('\n').append(tool.function().name()).append(' ')
                    .append(tool.function().parameters() == null ? "null" : CanonicalJson.write(tool.function().parameters()));
        }
        return cached(key.toString(), () -> compileTools(tools, choice, parallelToolCalls));
    }

    /** The compiled grammar of one JSON value of {@code schema} (cached). */
    public Grammar jsonGrammar(JsonNode schema) {
        return cached("json " + CanonicalJson.write(schema), () -> {
            SchemaCompiler.Result result = SchemaCompiler.compile(schema);
            return grammar(new OutputSpec(null, List.of(), false, 1, result.root()), result.postChecked());
        });
    }

    private Grammar cached(String key, java.util.function.Supplier<Grammar> compile) {
        synchronized (grammars) {
            Grammar grammar = grammars.get(key);
            if (grammar != null) {
                return grammar;
            }
        }
        Grammar grammar = compile.get();
        synchronized (grammars) {
            return grammars.computeIfAbsent(key, k -> grammar);
        }
    }

    private Grammar compileTools(List<ToolDefinition> tools, ToolChoice choice, boolean parallel) {
        List<byte[]> names = new ArrayList<>();
        List<SchemaNode> arguments = new ArrayList<>();
        List<String> postChecked = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ToolDefinition tool : tools) {
            String name = tool.function() == null ? null : tool.function().name();
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("a tool has no function name");
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException("tool \"" + name + "\" is declared twice");
            }
            if (choice instanceof ToolChoice.Named named && !named.name().equals(name)) {
                continue;
            }
            SchemaCompiler.Result result;
            try {
                result = SchemaCompiler.compile(tool.function().parameters());
            } catch (SchemaException e) {
                throw new SchemaException("tool \"" + name + "\" parameters: " + e.getMessage());
            }
            if (!result.root().allows(SchemaNode.OBJECT) && result.root().alternatives == null) {
                throw new SchemaException("tool \"" + name + "\" parameters: must describe a JSON object");
            }
            String quoted = CanonicalJson.write(TextNode.valueOf(name));
            names.add(quoted.substring(1, quoted.length() - 1).getBytes(StandardCharsets.UTF_8));
            arguments.add(result.root());
            result.postChecked().forEach(k -> postChecked.add(name + ": " + k));
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("tool_choice names \"" + ((ToolChoice.Named) choice).name()
                    + "\", which is not among the tools");
        }
        boolean text = choice instanceof ToolChoice.Auto;
        int maxCalls = choice instanceof ToolChoice.Named || !parallel ? 1 : -1;
        return grammar(new OutputSpec(new ByteTrie(names), List.copyOf(arguments), text, maxCalls, null), postChecked);
    }

    private Grammar grammar(OutputSpec spec, List<String> postChecked) {
        spec.arguments().forEach(Shortest::prepare);
        if (spec.json() != null) {
            Shortest.prepare(spec.json());
        }
        MaskCache masks = new MaskCache(vocabulary, options.localMasksPerGrammar(), options.statesPerGrammar());
        Set<PatternMachine> patterns = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (SchemaNode root : spec.json() != null ? List.of(spec.json()) : spec.arguments()) {
            for (SchemaNode node : Shortest.reachable(root)) {
                if (node.pattern != null && patterns.add(node.pattern)) {
                    preparePattern(masks, node.pattern); // shared masks: only a new pattern costs walks
                }
            }
        }
        return new Grammar(spec, vocabulary, masks, List.copyOf(postChecked));
    }
}
