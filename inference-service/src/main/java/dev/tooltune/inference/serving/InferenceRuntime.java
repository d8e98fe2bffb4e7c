package dev.tooltune.inference.serving;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.artifacts.ArtifactStores;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.inference.InferenceConfig;
import dev.tooltune.inference.adapters.AdapterCache;
import dev.tooltune.inference.adapters.AdapterRegistry;
import dev.tooltune.inference.adapters.AdapterTopicConsumer;
import dev.tooltune.inference.engine.ChatEngineBackend;
import dev.tooltune.inference.engine.ServingChatEngine;
import dev.tooltune.model.serving.ServingConfig;
import dev.tooltune.model.checkpoint.BaseModels;
import dev.tooltune.model.config.GenerationConfig;
import dev.tooltune.model.gemma3.Gemma3Model;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * What the service serves, brought up in the background at startup: the base model (resolved, loaded on the
 * configured device and precision) in an engine, the adapter registry ({@link AdapterTopicConsumer} fills it from the
 * topic once the base model's identity is known), and the adapter cache.
 * Readiness ({@link #ready()}) waits for the model and for the topic to be read to its end.
 */
@ApplicationScoped
public class InferenceRuntime {
    private static final Logger LOG = Logger.getLogger(InferenceRuntime.class);

    @Inject
    InferenceConfig config;

    @Inject
    MeterRegistry metrics;

    @Inject
    AdapterTopicConsumer adaptersTopic;

    private final AdapterRegistry registry = new AdapterRegistry();
    private volatile BaseModels.Resolved baseModel;
    private volatile ChatEngineBackend engine;
    private volatile GemmaTokenizer tokenizer;
    private volatile AdapterCache cache;
    private final CountDownLatch baseModelKnown = new CountDownLatch(1);
    private volatile String problem = "loading the base model";
    private volatile boolean stopping;

    void start(@Observes StartupEvent event) {
        Thread loader = new Thread(this::bringUp, "inference-startup");
        loader.setDaemon(true);
        loader.start();
    }

    private void bringUp() {
        try {
            long started = System.nanoTime();
            BaseModels.Resolved resolved = BaseModels.fromEnvironment()
                    .resolve(config.model().id(), config.model().revision().orElse(null));
            baseModel = resolved;
            baseModelKnown.countDown();

            Path directory = resolved.directory();
            tokenizer = Files.isRegularFile(directory.resolve("tokenizer.json"))
                    ? GemmaTokenizer.load(directory.resolve("tokenizer.json")) : GemmaTokenizer.loadDefault();
            Device device = device(config.model().device());
            DataType precision = precision(config.model().precision());
            Gemma3Model model = Gemma3Model.load(directory, precision, device);
            Set<Integer> stops = new HashSet<>(GenerationConfig.load(directory).eosTokenIds());
            stops.add(GenerationConfig.END_OF_TURN);
            ServingConfig serving = ServingConfig.defaults()
                    .withMaxRunningSequences(config.serving().maxRunningSequences())
                    .withKvCacheBytes(config.serving().kvCacheBytes())
                    .withPrefixCacheBytes(config.serving().prefixCacheBytes())
                    .withMaxSequenceLength(config.serving().maxSequenceLength())
                    .withMaxWaitingRequests(config.serving().maxQueued() + 1)
                    .withStopTokens(stops);
            ChatEngineBackend backend = new ServingChatEngine(model, tokenizer, serving);
            cache = new AdapterCache(ArtifactStores.open(config.adapters().artifactsDirectory(),
                    "tooltune.inference.adapters.artifacts-directory (tooltune.artifacts.uri)"),
                    Path.of(config.adapters().cacheDirectory()), backend,
                    new AdapterCache.Limits(config.adapters().deviceCacheSize(), config.adapters().deviceCacheBytes(),
                            config.adapters().hostCacheBytes()), metrics);
            registry.onRemoved(cache::removed);
            registry.onAdded(cache::added);
            engine = backend;
            problem = null;
            LOG.infof("serving %s@%s from %s on %s in %s, loaded in %.1f s", resolved.id(), resolved.revision(),
                    directory, device, precision, (System.nanoTime() - started) / 1e9);
        } catch (RuntimeException | Error e) {
            baseModelKnown.countDown();
            problem = "the base model could not be loaded: " + e.getMessage();
            LOG.errorf(e, "base model %s could not be loaded", config.model().id());
        }
    }

    static Device device(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> Engine.getEngine("PyTorch").getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            case "gpu", "cuda" -> Device.gpu();
            default -> Device.fromName(name);
        };
    }

    static DataType precision(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32" -> DataType.FLOAT32;
            case "float16", "fp16" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            default -> throw new IllegalArgumentException("tooltune.inference.model.precision must be float32, "
                    + "float16 or bfloat16, not " + name);
        };
    }

    /** Null when ready; otherwise what is still missing. */
    public String notReadyBecause() {
        if (problem != null) {
            return problem;
        }
        return adaptersTopic.caughtUp() ? null : adaptersTopic.problem();
    }

    public boolean ready() {
        return notReadyBecause() == null && !stopping;
    }

    /** Whether the model can answer (the adapters topic may still be catching up). */
    public boolean modelLoaded() {
        return engine != null;
    }

    public BaseModels.Resolved baseModel() {
        return baseModel;
    }

    /**
     * The served base model's identity, once resolved (adapters are matched against it); null if it could not be
     * resolved or the service is stopping.
     */
    public BaseModels.Resolved awaitBaseModel() {
        try {
            while (!stopping && !baseModelKnown.await(1, TimeUnit.SECONDS)) {
                // the startup thread is still resolving it
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return baseModel;
    }

    public ChatEngineBackend engine() {
        return engine;
    }

    public GemmaTokenizer tokenizer() {
        return tokenizer;
    }

    public AdapterRegistry registry() {
        return registry;
    }

    public AdapterCache cache() {
        return cache;
    }

    public InferenceConfig config() {
        return config;
    }

    public boolean stopping() {
        return stopping;
    }

    /** Marks the service as going away: new requests get 503, readiness goes down. */
    public void beginShutdown() {
        stopping = true;
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** Closes the engine last, after the requests finished or were cancelled (see ChatCompletions). */
    public void closeEngine() {
        if (cache != null) {
            cache.close();
        }
        if (engine != null) {
            engine.close();
        }
    }
}
