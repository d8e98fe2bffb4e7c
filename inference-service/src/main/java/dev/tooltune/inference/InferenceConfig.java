package dev.tooltune.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Every setting of the service, under {@code tooltune.inference}; README.md lists them with their environment names. */
@ConfigMapping(prefix = "tooltune.inference")
public interface InferenceConfig {

    Model model();

    Serving serving();

    Adapters adapters();

    Kafka kafka();

    interface Model {
        /** The served base model: {@code tooltune/gemma-3-tiny-random}, a Hub id, or a local directory. */
        @WithDefault("tooltune/gemma-3-tiny-random")
        String id();

        /** The exact revision; absent: the default branch, or the directory as it is. */
        Optional<String> revision();

        /** {@code cpu}, {@code gpu} (the first GPU) or a DJL device name such as {@code gpu(1)}; {@code auto}: GPU when present. */
        @WithDefault("auto")
        String device();

        /** {@code float32}, {@code float16} or {@code bfloat16}: the compute type of the weights. */
        @WithDefault("float32")
        String precision();
    }

    interface Serving {
        /** Requests waiting for the engine beyond which new ones get 429 with Retry-After. */
        @WithDefault("64")
        int maxQueued();

        /** Sequences decoded together in one step (continuous batching); more requests wait in the queue. */
        @WithDefault("16")
        int maxRunningSequences();

        /** KV cache budget of the running sequences, in bytes; a request starts only when its cache fits. */
        @WithDefault("1073741824")
        long kvCacheBytes();

        /** Budget of the prefix cache (KV of shared prompt prefixes such as the tools block), in bytes; 0 = off. */
        @WithDefault("268435456")
        long prefixCacheBytes();

        /** Longest prompt + completion of one request in tokens; 0 = the model's context length. */
        @WithDefault("0")
        int maxSequenceLength();

        /**
         * Largest chat request body in bytes, checked before it is parsed or tokenised (400 above it). The default
         * is 32 bytes per token of a 32,768-token context; real prompts take under 5.
         */
        @WithDefault("1048576")
        int maxRequestBytes();

        /** Seconds a 429 asks the client to wait. */
        @WithDefault("1")
        int retryAfterSeconds();

        /** Longest time a request may take, queueing included; then it is cancelled and answered 504. */
        @WithDefault("120s")
        Duration requestTimeout();

        /** max_tokens when the request gives none. */
        @WithDefault("256")
        int defaultMaxTokens();

        /** The most tokens a request may ask for. */
        @WithDefault("4096")
        int maxTokensLimit();

        /** How long shutdown lets in-flight requests finish before cancelling them. */
        @WithDefault("20s")
        Duration shutdownGrace();
    }

    interface Adapters {
        /** The compacted topic of servable adapters. */
        @WithDefault("adapters")
        String topic();

        /** Root of the directory artifact store, for {@code file://} artifact URIs. */
        @WithDefault("${user.home}/.cache/tooltune/artifacts")
        String artifactsDirectory();

        /** Where fetched (verified) adapter files are kept: the host-memory tier of the cache. */
        @WithDefault("${java.io.tmpdir}/tooltune-inference-adapters")
        String cacheDirectory();

        /** Adapters kept loaded in device memory (least recently used ones are unloaded beyond it). */
        @WithDefault("8")
        int deviceCacheSize();

        /** Bytes of adapter weights kept loaded in device memory (least recently used ones are unloaded beyond it). */
        @WithDefault("2147483648")
        long deviceCacheBytes();

        /** Bytes of verified adapter files kept in the cache directory (least recently used ones are deleted beyond it). */
        @WithDefault("4294967296")
        long hostCacheBytes();
    }

    interface Kafka {
        @WithDefault("${KAFKA_BOOTSTRAP_SERVERS:localhost:9092}")
        String bootstrapServers();
    }
}
