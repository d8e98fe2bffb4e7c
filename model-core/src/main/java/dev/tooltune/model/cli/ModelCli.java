package dev.tooltune.model.cli;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.model.checkpoint.StoredType;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.config.GenerationConfig;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.generation.GenerationOptions;
import dev.tooltune.model.generation.GenerationResult;
import dev.tooltune.model.generation.Generator;
import dev.tooltune.model.hub.HubClient;
import dev.tooltune.model.runtime.ModelRuntime;
import dev.tooltune.model.serving.ChatEngine;
import dev.tooltune.model.serving.ChatRequest;
import dev.tooltune.model.serving.ChatResult;
import dev.tooltune.model.serving.ChatStreamListener;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * model-core's command line. {@code model-core/bin/model-cli <command> [options]}; commands:
 *
 * <pre>
 * random-checkpoint --config tiny|270m|1b|4b|config.json --out DIR [--seed 0] [--dtype f32|bf16] [--std 0.02]
 * generate --model DIR|hub-id [--adapter DIR] (--prompt TEXT [--system TEXT] [--tools tools.json] | --example F.jsonl[:N]) [--max-tokens 128]
 *          [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0] [--device auto|cpu|gpu|gpuN] [--dtype float32|float16]
 * download --model google/gemma-3-1b-it [--revision main]          (HF_TOKEN, HF_ENDPOINT)
 * info --model DIR|config
 * </pre>
 */
public final class ModelCli {

    private final PrintStream out;

    public ModelCli(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        try {
            int status = new ModelCli(System.out).run(args);
            System.exit(status);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Runs one command; returns the exit status. */
    public int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            out.println(usage());
            return args.length == 0 ? 2 : 0;
        }
        Map<String, String> options = parse(args);
        return switch (args[0]) {
            case "random-checkpoint" -> randomCheckpoint(options);
            case "generate" -> generate(options);
            case "download" -> download(options);
            case "info" -> info(options);
            case "bench" -> bench(options);
            case "train" -> new TrainCommand(out).run(options);
            case "logits" -> new LogitsCommand(out).run(options);
            default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'\n" + usage());
        };
    }

    static String usage() {
        return """
                usage: model-cli <command> [options]
                  random-checkpoint --config tiny|270m|1b|4b|config.json --out DIR [--seed 0] [--dtype f32|bf16] [--std 0.02]
                  generate --model DIR|hub-id [--adapter DIR] (--prompt TEXT [--system TEXT] [--tools tools.json] | --example F.jsonl[:N]) [--max-tokens 128]
                           [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0] [--device auto|cpu|gpu|gpuN] [--dtype float32|float16]
                  download --model google/gemma-3-1b-it [--revision main]   (uses HF_TOKEN, HF_ENDPOINT)
                  info --model DIR|config.json|preset
                  bench --model DIR [--prompt-tokens 128] [--new-tokens 64] [--batch 1] [--repeat 3] [--device D] [--dtype T]
                """ + TrainCommand.USAGE + "\n" + LogitsCommand.USAGE;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        Set<String> flags = Set.of("--fp16", "--pack", "--rslora");
        for (int i = 1; i < args.length; i++) {
            String key = args[i];
            if (!key.startsWith("--")) {
                throw new IllegalArgumentException("expected an option like --model, got '" + key + "'");
            }
            if (flags.contains(key)) {
                options.put(key, "true");
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(key + " needs a value");
                }
                options.put(key, args[++i]);
            }
        }
        return options;
    }

    static String required(Map<String, String> options, String key) {
        String v = options.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key + "\n" + usage());
        }
        return v;
    }

    static int intOption(Map<String, String> options, String key, int fallback) {
        try {
            return options.containsKey(key) ? Integer.parseInt(options.get(key)) : fallback;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + options.get(key) + "'");
        }
    }

    static double doubleOption(Map<String, String> options, String key, double fallback) {
        try {
            return options.containsKey(key) ? Double.parseDouble(options.get(key)) : fallback;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + options.get(key) + "'");
        }
    }

    // ---------------------------------------------------------------- commands

    private int randomCheckpoint(Map<String, String> options) {
        Gemma3Config config = Gemma3Config.preset(required(options, "--config"));
        Path dir = Path.of(required(options, "--out"));
        long seed = intOption(options, "--seed", 0);
        String dtype = options.getOrDefault("--dtype", "f32").toLowerCase(Locale.ROOT);
        StoredType type = switch (dtype) {
            case "f32", "fp32", "float32" -> StoredType.F32;
            case "bf16", "bfloat16" -> StoredType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or bf16, got " + dtype);
        };
        double std = doubleOption(options, "--std", config.initializerRange());
        long start = System.nanoTime();
        Gemma3Model.writeRandomCheckpoint(config, new RandomInit(seed, std, 0.0), dir, type);
        GenerationConfig g = GenerationConfig.defaults();
        try {
            Files.writeString(dir.resolve("generation_config.json"), String.format(Locale.ROOT,
                    "{\"bos_token_id\": %d, \"eos_token_id\": [1, 106], \"pad_token_id\": %d}%n", g.bosTokenId(), g.padTokenId()));
            Path tokenizer = locateTokenizerQuietly();
            if (tokenizer != null && config.vocabSize() >= 262_144) {
                Files.copy(tokenizer, dir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        out.printf(Locale.ROOT, "wrote %s: %s, %s, %,d parameters, seed %d, %.1f s%n", dir, config, type,
                config.parameterCount(), seed, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private static Path locateTokenizerQuietly() {
        try {
            return GemmaTokenizer.locate();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Path modelDirectory(String model) {
        Path dir = Path.of(model);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        if (model.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            out.println("downloading " + model + " from the Hub ...");
            return HubClient.fromEnvironment().download(model, "main", this::progress);
        }
        throw new IllegalArgumentException("--model " + model + " is neither a directory nor a Hub id");
    }

    private void progress(String file, long bytes, long total) {
        if (total > 0) {
            out.printf(Locale.ROOT, "  %s %,d / %,d bytes (%.0f%%)%n", file, bytes, total, 100.0 * bytes / total);
        } else {
            out.printf(Locale.ROOT, "  %s %,d bytes%n", file, bytes);
        }
    }

    private int download(Map<String, String> options) {
        Path snapshot = HubClient.fromEnvironment().download(required(options, "--model"),
                options.getOrDefault("--revision", "main"), this::progress);
        out.println(snapshot);
        return 0;
    }

    private int info(Map<String, String> options) {
        String model = required(options, "--model");
        Gemma3Config config = Files.isDirectory(Path.of(model)) ? Gemma3Config.load(Path.of(model).resolve("config.json"))
                : Gemma3Config.preset(model);
        out.println(config);
        out.printf(Locale.ROOT, "weights: fp32 %.2f GiB, bf16 %.2f GiB%n", config.parameterCount() * 4 / 1073741824.0,
                config.parameterCount() * 2 / 1073741824.0);
        return 0;
    }

    private int generate(Map<String, String> options) {
        Path dir = modelDirectory(required(options, "--model"));
        List<ToolDefinition> tools;
        List<ChatMessage> messages = new ArrayList<>();
        ChatMessage expected = null;
        if (options.containsKey("--example")) {
            // The conversation up to its first assistant turn is the prompt; that turn is what we hope to see.
            ChatExample example = readExample(options.get("--example"));
            tools = example.tools();
            for (ChatMessage message : example.messages()) {
                if (ChatMessage.ASSISTANT.equals(message.role())) {
                    expected = message;
                    break;
                }
                messages.add(message);
            }
        } else {
            tools = options.containsKey("--tools") ? readTools(Path.of(options.get("--tools"))) : List.of();
            if (options.containsKey("--system")) {
                messages.add(ChatMessage.system(options.get("--system")));
            }
            messages.add(ChatMessage.user(required(options, "--prompt")));
        }

        GemmaTokenizer tokenizer = Files.isRegularFile(dir.resolve("tokenizer.json"))
                ? GemmaTokenizer.load(dir.resolve("tokenizer.json")) : GemmaTokenizer.loadDefault();
        GemmaChatFormat format = new GemmaChatFormat();
        ModelRuntime runtime = runtime(options);
        long loadStart = System.nanoTime();
        try (Gemma3Model model = Gemma3Model.load(dir, runtime)) {
            GenerationConfig generationConfig = GenerationConfig.load(dir);
            Set<Integer> stops = new HashSet<>(generationConfig.eosTokenIds());
            stops.add(GenerationConfig.END_OF_TURN);
            ServingConfig serving = ServingConfig.defaults().withMaxRunningSequences(1).withStopTokens(stops);
            try (ServingEngine engine = ServingEngine.start(model, serving)) {
                String adapterId = null;
                if (options.containsKey("--adapter")) {
                    Path adapterDir = Path.of(options.get("--adapter"));
                    adapterId = adapterDir.getFileName().toString();
                    engine.loadAdapter(adapterId, adapterDir);
                    out.println("adapter " + adapterDir + " loaded");
                }
                double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
                ChatEngine chat = new ChatEngine(engine, format, tokenizer);
                Sampling sampling = new Sampling(doubleOption(options, "--temperature", 0), doubleOption(options, "--top-p", 1.0),
                        intOption(options, "--top-k", 0), (long) intOption(options, "--seed", 0));
                ChatRequest request = new ChatRequest(messages, tools, adapterId, sampling,
                        intOption(options, "--max-tokens", 128), List.of(), null);
                ChatEngine.Prompt prompt = chat.prompt(messages, tools, null);

                out.println("=== prompt (" + prompt.tokens().length + " tokens, " + tools.size() + " tools, on " + runtime + ") ===");
                out.println(format.renderPrompt(messages, tools));
                out.println("=== generated (streamed) ===");
                long start = System.nanoTime();
                ChatResult result;
                try {
                    result = chat.submit(request, new ChatStreamListener() {
                        @Override
                        public void onContentDelta(String text) {
                            out.print(text);
                            out.flush();
                        }

                        @Override
                        public void onToolCallStart(int index, String callId, String functionName) {
                            out.print("\n[tool call " + index + ": " + functionName + "] ");
                        }

                        @Override
                        public void onToolCallArgumentsDelta(int index, String argumentsJsonFragment) {
                            out.print(argumentsJsonFragment);
                            out.flush();
                        }
                    }).result().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                out.println();
                out.println("=== raw output (" + result.completionTokens() + " tokens, finish: "
                        + result.finishReason().name().toLowerCase(Locale.ROOT) + ") ===");
                out.println(result.rawText());
                out.println("=== parsed ===");
                out.println("content: " + result.content());
                for (ToolCall call : result.toolCalls()) {
                    out.println("tool call: " + toJson(call));
                }
                if (expected != null) {
                    out.println("=== expected (the example's assistant turn) ===");
                    out.println("content: " + expected.content());
                    for (ToolCall call : expected.toolCalls() == null ? List.<ToolCall>of() : expected.toolCalls()) {
                        out.println("tool call: " + toJson(call));
                    }
                }
                ParsedAssistantMessage parsed = new ToolCallParser().parse(result.rawText());
                if (!parsed.invalidToolCalls().isEmpty()) {
                    out.println("invalid tool-call blocks: " + parsed.invalidToolCalls().size());
                }
                double ttft = result.timeToFirstTokenNanos() / 1e9;
                int decoded = Math.max(0, result.completionTokens() - 1);
                out.printf(Locale.ROOT, "=== speed ===%nload %.2f s; time to first token %.3f s (prefill %d tokens);"
                                + " decode %d tokens in %.3f s (%.1f tokens/s)%n", loadSeconds, ttft,
                        result.promptTokens(), decoded, seconds - ttft, decoded / Math.max(1e-9, seconds - ttft));
            }
        }
        return 0;
    }

    /** {@code --device cpu|gpu|gpuN|auto} and {@code --dtype float32|float16} ({@code --fp16} = {@code --dtype float16}). */
    static ModelRuntime runtime(Map<String, String> options) {
        ModelRuntime environment = ModelRuntime.fromEnvironment();
        String dtype = options.containsKey("--fp16") ? "float16" : options.get("--dtype");
        return new ModelRuntime(options.containsKey("--device") ? ModelRuntime.parseDevice(options.get("--device")) : environment.device(),
                dtype != null ? ModelRuntime.parseType(dtype) : environment.computeType());
    }

    /**
     * Measures prefill and decode speed on random prompt ids (greedy, no stop tokens) after one warm-up run, and
     * the process's resident memory; prints a RESULT line the benchmark script turns into a table.
     */
    private int bench(Map<String, String> options) {
        Path dir = Path.of(required(options, "--model"));
        int promptTokens = intOption(options, "--prompt-tokens", 128);
        int newTokens = intOption(options, "--new-tokens", 64);
        int batch = intOption(options, "--batch", 1);
        int repeat = intOption(options, "--repeat", 3);
        ModelRuntime runtime = runtime(options);
        DataType type = runtime.computeType();
        long rssBefore = ResidentMemory.currentBytes();
        long loadStart = System.nanoTime();
        try (Gemma3Model model = Gemma3Model.load(dir, runtime)) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            long rssLoaded = ResidentMemory.currentBytes();
            java.util.Random random = new java.util.Random(7);
            List<int[]> prompts = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int[] ids = new int[promptTokens];
                ids[0] = model.config().bosTokenId();
                for (int i = 1; i < ids.length; i++) {
                    ids[i] = 3 + random.nextInt(Math.min(model.config().vocabSize(), 256_000) - 3);
                }
                prompts.add(ids);
            }
            Generator generator = new Generator(model);
            GenerationOptions generation = GenerationOptions.greedy(newTokens).withStopTokens(Set.of());
            // warm-up: libtorch's allocator and the JIT take a dozen steps to settle
            generator.generate(prompts, generation.withMaxNewTokens(Math.min(16, newTokens)));
            double[] prefill = new double[repeat];
            double[] decode = new double[repeat];
            for (int r = 0; r < repeat; r++) {
                GenerationResult result = generator.generate(prompts, generation);
                prefill[r] = result.prefillTokensPerSecond();
                decode[r] = result.decodeTokensPerSecond();
                out.printf(Locale.ROOT, "run %d: prefill %.1f tokens/s, decode %.2f tokens/s%n", r + 1, prefill[r], decode[r]);
            }
            java.util.Arrays.sort(prefill);
            java.util.Arrays.sort(decode);
            long peak = ResidentMemory.peakBytes();
            out.printf(Locale.ROOT, "RESULT params=%d dtype=%s batch=%d prompt=%d new=%d load_s=%.2f prefill_tps=%.1f"
                            + " decode_tps=%.2f rss_before_mib=%.0f rss_loaded_mib=%.0f peak_rss_mib=%.0f threads=%s%n",
                    model.config().parameterCount(), type, batch, promptTokens, newTokens, loadSeconds,
                    prefill[repeat / 2], decode[repeat / 2], rssBefore / 1048576.0, rssLoaded / 1048576.0,
                    peak / 1048576.0, System.getProperty("ai.djl.pytorch.num_threads", "default"));
        }
        return 0;
    }

    private static String toJson(Object value) {
        try {
            return ChatJson.MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return String.valueOf(value);
        }
    }

    /** {@code file.jsonl} (its first example) or {@code file.jsonl:N} (line N, 1-based). */
    static ChatExample readExample(String spec) {
        int colon = spec.lastIndexOf(':');
        boolean numbered = colon > 0 && spec.substring(colon + 1).matches("[0-9]+");
        Path file = Path.of(numbered ? spec.substring(0, colon) : spec);
        int wanted = numbered ? Integer.parseInt(spec.substring(colon + 1)) : 1;
        try (java.io.BufferedReader reader = Files.newBufferedReader(file)) {
            String line;
            for (int number = 1; (line = reader.readLine()) != null; number++) {
                if (number == wanted) {
                    return ChatJson.MAPPER.readValue(line, ChatExample.class);
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(file + " line " + wanted + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(file + " has no line " + wanted);
    }

    /** An OpenAI {@code tools} array, or an object with a {@code tools} field. */
    static List<ToolDefinition> readTools(Path file) {
        try {
            JsonNode root = ChatJson.MAPPER.readTree(file.toFile());
            JsonNode array = root.isArray() ? root : root.get("tools");
            if (array == null || !array.isArray()) {
                throw new IllegalArgumentException(file + ": expected a JSON array of tools or an object with \"tools\"");
            }
            List<ToolDefinition> tools = new ArrayList<>();
            for (int i = 0; i < array.size(); i++) {
                ToolDefinition tool = ChatJson.MAPPER.treeToValue(array.get(i), ToolDefinition.class);
                if (tool.function() == null || tool.function().name() == null) {
                    throw new IllegalArgumentException(file + ": tools[" + i + "] has no function.name");
                }
                tools.add(tool);
            }
            return tools;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }
}
