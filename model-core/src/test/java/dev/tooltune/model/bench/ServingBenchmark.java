package dev.tooltune.model.bench;

import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.sample.SampleTools;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.fixtures.RandomFixtures;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.KvCache;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.lora.LoraLinear;
import dev.tooltune.model.lora.PeftAdapterFiles;
import dev.tooltune.model.runtime.ModelRuntime;
import dev.tooltune.model.serving.ChatEngine;
import dev.tooltune.model.serving.ChatRequest;
import dev.tooltune.model.serving.ChatResult;
import dev.tooltune.model.serving.Completion;
import dev.tooltune.model.serving.GenerationHandle;
import dev.tooltune.model.serving.GenerationRequest;
import dev.tooltune.model.serving.Sampling;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.serving.ServingEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * One model configuration, one JVM: random Gemma 3 weights of a preset, 4 random LoRA adapters (r=16, all seven
 * projections). Prints markdown table rows:
 * <ul>
 *   <li>decode tokens/s with 1, 4 and 16 concurrent streams, all on one adapter and spread over 4 adapters;</li>
 *   <li>time to first token of a 5-tool chat prompt with the prefix cache off (cold) and on after a first request
 *       (a hit on the tools block);</li>
 *   <li>KV cache bytes per sequence.</li>
 * </ul>
 * Usage: ServingBenchmark PRESET PROMPT_TOKENS NEW_TOKENS
 */
public final class ServingBenchmark {

    public static void main(String[] args) throws Exception {
        String preset = args[0];
        int promptTokens = Integer.parseInt(args[1]);
        int newTokens = Integer.parseInt(args[2]);
        Gemma3Config config = Gemma3Config.preset(preset);
        Path adapterDir = Files.createTempDirectory("serving-bench");
        GemmaTokenizer tokenizer = GemmaTokenizer.loadDefault();   // shared by the process: not closed here
        try (Gemma3Model model = Gemma3Model.random(config, 0, ModelRuntime.cpu())) {
            List<Path> adapters = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                adapters.add(RandomFixtures.adapter(model, adapterDir.resolve("a" + i), 16,
                        Set.copyOf(LoraConfig.GEMMA_MODULES), i, 0.01));
            }
            ServingConfig serving = ServingConfig.defaults().withMaxRunningSequences(16).withStopTokens(Set.of())
                    .withKvCacheBytes(4L << 30);
            try (ServingEngine engine = ServingEngine.start(model, serving)) {
                for (int i = 0; i < 4; i++) {
                    engine.loadAdapter("a" + i, adapters.get(i));
                }
                decode(engine, 1, 1, promptTokens, Math.min(8, newTokens));   // warm-up
                for (int adapterCount : new int[] {1, 4}) {
                    for (int streams : new int[] {1, 4, 16}) {
                        double tps = decode(engine, streams, adapterCount, promptTokens, newTokens);
                        System.out.printf(Locale.ROOT, "| %s | decode | %d | %d | %.1f tokens/s |%n", preset, streams,
                                adapterCount, tps);
                    }
                }
            }
            List<ToolDefinition> tools = List.of(SampleTools.GET_WEATHER, SampleTools.SEND_EMAIL, SampleTools.SET_REMINDER,
                    SampleTools.CONVERT_CURRENCY, SampleTools.GET_DIRECTIONS);
            String[] questions = {"What is the weather in Paris?", "Remind me to call Bob at 5pm.",
                    "Convert 20 EUR to USD.", "How do I get to the station?"};
            double cold;
            double hit;
            int promptLength;
            int prefixLength;
            try (ServingEngine engine = ServingEngine.start(model, serving.withPrefixCacheBytes(0))) {
                engine.loadAdapter("a0", adapters.get(0));
                ChatEngine chat = new ChatEngine(engine, tokenizer);
                ChatEngine.Prompt prompt = chat.prompt(List.of(ChatMessage.user(questions[0])), tools, null);
                promptLength = prompt.tokens().length;
                prefixLength = prompt.sharedPrefixLength();
                cold = medianTtft(chat, tools, questions, "a0");
            }
            try (ServingEngine engine = ServingEngine.start(model, serving)) {
                engine.loadAdapter("a0", adapters.get(0));
                ChatEngine chat = new ChatEngine(engine, tokenizer);
                chat.complete(request(tools, "Hello", "a0"));   // fills the prefix cache
                hit = medianTtft(chat, tools, questions, "a0");
                System.out.printf(Locale.ROOT, "| %s | time to first token, 5 tools (%d prompt tokens, %d shared), cold"
                        + " | 1 | 1 | %.0f ms |%n", preset, promptLength, prefixLength, cold);
                System.out.printf(Locale.ROOT, "| %s | time to first token, 5 tools, prefix-cache hit (%d hits)"
                        + " | 1 | 1 | %.0f ms |%n", preset, engine.stats().prefixHits(), hit);
            }
            long perToken = KvCache.bytesFor(config, 4096, model.computeType()) - KvCache.bytesFor(config, 4095, model.computeType());
            System.out.printf(Locale.ROOT, "| %s | KV cache per sequence of %d tokens (fp32) | 1 | - | %.2f MiB |%n", preset,
                    promptTokens + newTokens, KvCache.bytesFor(config, promptTokens + newTokens, model.computeType()) / 1048576.0);
            System.out.printf(Locale.ROOT, "| %s | KV cache per sequence of 4096 tokens (fp32; sliding layers capped at"
                    + " the %d-token window) | 1 | - | %.2f MiB |%n", preset, config.slidingWindow(),
                    KvCache.bytesFor(config, 4096, model.computeType()) / 1048576.0);
            System.out.printf(Locale.ROOT, "| %s | KV bytes per token beyond the window (full layers only) | - | - | %d B |%n",
                    preset, perToken);
            System.out.printf(Locale.ROOT, "| %s | peak RSS of the JVM | - | - | %.0f MiB |%n", preset,
                    peakRssBytes() / 1048576.0);
        }
    }

    /** Decode tokens/s of {@code streams} requests submitted at once, spread over {@code adapters} adapters. */
    static double decode(ServingEngine engine, int streams, int adapters, int promptTokens, int newTokens) throws Exception {
        Random random = new Random(streams * 31L + adapters);
        int vocab = Math.min(engine.model().config().vocabSize(), 256_000);
        long start = System.nanoTime();
        List<GenerationHandle> handles = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            int[] prompt = new int[promptTokens];
            prompt[0] = 2;
            for (int i = 1; i < promptTokens; i++) {
                prompt[i] = 3 + random.nextInt(vocab - 3);
            }
            handles.add(engine.submit(new GenerationRequest(prompt, 0, "a" + (s % adapters), Sampling.greedy(), newTokens,
                    null, null)));
        }
        long lastFirstToken = 0;
        long tokens = 0;
        for (GenerationHandle h : handles) {
            Completion c = h.result().get();
            lastFirstToken = Math.max(lastFirstToken, start + c.timeToFirstTokenNanos());
            tokens += c.tokens().length - 1;
        }
        long end = System.nanoTime();
        // Tokens after each stream's first, over the time when all streams were decoding together.
        return tokens / ((end - lastFirstToken) / 1e9);
    }

    /** VmHWM of this process (Linux), 0 elsewhere. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    static ChatRequest request(List<ToolDefinition> tools, String question, String adapter) {
        return new ChatRequest(List.of(ChatMessage.user(question)), tools, adapter, Sampling.greedy(), 1, List.of(), null);
    }

    static double medianTtft(ChatEngine chat, List<ToolDefinition> tools, String[] questions, String adapter) {
        double[] ms = new double[questions.length];
        for (int i = 0; i < questions.length; i++) {
            ChatResult r = chat.complete(request(tools, questions[i], adapter));
            ms[i] = r.timeToFirstTokenNanos() / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }
}
