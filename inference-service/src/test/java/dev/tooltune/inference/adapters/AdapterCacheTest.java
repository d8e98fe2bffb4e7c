package dev.tooltune.inference.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.artifacts.CorruptArtifactException;
import dev.tooltune.artifacts.DirectoryArtifactStore;
import dev.tooltune.artifacts.Manifest;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.inference.engine.ChatCall;
import dev.tooltune.inference.engine.ChatEngineBackend;
import dev.tooltune.inference.engine.ChatHandle;
import dev.tooltune.model.serving.ChatStreamListener;
import dev.tooltune.model.lora.PeftAdapterFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both tiers of the adapter cache are bounded and least recently used out first: device (adapters and bytes loaded
 * in the engine) and host (bytes of verified files); an evicted adapter is fetched, verified and loaded again on its
 * next request. Real directory artifact store; the engine is a stand-in that records what it was asked to load and
 * checks the files it loads from.
 */
class AdapterCacheTest {
    private static final int WEIGHTS_BYTES = 10_000;

    @TempDir
    Path temp;

    /** The engine side: which adapters are loaded, and the bytes each was loaded from. */
    static final class RecordingEngine implements ChatEngineBackend {
        final Set<String> loaded = ConcurrentHashMap.newKeySet();
        final List<String> loads = new CopyOnWriteArrayList<>();
        final Map<String, byte[]> loadedBytes = new ConcurrentHashMap<>();

        @Override
        public void loadAdapter(String adapterId, Path directory) {
            try {
                loadedBytes.put(adapterId, Files.readAllBytes(directory.resolve(PeftAdapterFiles.WEIGHTS_FILE)));
            } catch (IOException e) {
                throw new UncheckedIOException("loading " + adapterId + " from " + directory, e);
            }
            loaded.add(adapterId);
            loads.add(adapterId);
        }

        @Override
        public void unloadAdapter(String adapterId) {
            loaded.remove(adapterId);
        }

        @Override
        public ChatHandle submit(ChatCall call, ChatStreamListener listener) {
            throw new UnsupportedOperationException("no generation in this test");
        }

        @Override
        public int queued() {
            return 0;
        }

        @Override
        public int running() {
            return 0;
        }

        @Override
        public int vocabSize() {
            return 0;
        }

        @Override
        public void close() {}
    }

    private record Published(ServableAdapter adapter, byte[] weights) {}

    private Published publish(DirectoryArtifactStore store, String id, long seed) throws Exception {
        Path directory = Files.createTempDirectory(temp, "adapter-");
        byte[] weights = new byte[WEIGHTS_BYTES];
        new SplittableRandom(seed).nextBytes(weights);
        Files.write(directory.resolve(PeftAdapterFiles.WEIGHTS_FILE), weights);
        Files.writeString(directory.resolve("adapter_config.json"), "{\"r\": 4}");
        URI uri = store.publish("adapters/acme/" + id, directory, Map.of("tenantId", "acme"));
        Adapter record = new Adapter(id, id, 1, "acme", "job-" + id, new BaseModel("base", "rev"), TrainingMethod.LORA,
                uri.toString(), Manifest.sha256(directory.resolve(PeftAdapterFiles.WEIGHTS_FILE)), (long) WEIGHTS_BYTES,
                Map.of(), Instant.now());
        return new Published(new ServableAdapter(record), weights);
    }

    private static double count(SimpleMeterRegistry metrics, String name, String tier) {
        return metrics.counter("tooltune.adapter.cache." + name, "tier", tier).count();
    }

    private static void use(AdapterCache cache, Published published) throws IOException {
        cache.acquire(published.adapter()).close();
    }

    private static void awaitUnloaded(RecordingEngine engine, String id) throws InterruptedException {
        for (int i = 0; i < 500 && engine.loaded.contains(id); i++) {
            Thread.sleep(10);
        }
        assertFalse(engine.loaded.contains(id), id + " is still loaded in the engine");
    }

    @Test
    void leastRecentlyUsedAdaptersLeaveBothTiersAndAreFetchedAndLoadedAgainOnTheirNextRequest() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        Published a = publish(store, "ad-a", 1);
        Published b = publish(store, "ad-b", 2);
        Published c = publish(store, "ad-c", 3);
        RecordingEngine engine = new RecordingEngine();
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        // two adapters on the device; host files of two and a half adapters
        try (AdapterCache cache = new AdapterCache(store, temp.resolve("cache"), engine,
                new AdapterCache.Limits(2, 1L << 30, WEIGHTS_BYTES * 5L / 2), metrics)) {
            use(cache, a);
            use(cache, b);
            assertEquals(2, cache.loadedCount());
            assertEquals(2, cache.hostCount());
            assertEquals(2, count(metrics, "misses", "device"));
            assertEquals(2, count(metrics, "loads", "host"), "fetched from the store");

            use(cache, c);   // a is the least recently used in both tiers
            assertFalse(cache.isLoaded("ad-a"));
            assertFalse(cache.isOnHost("ad-a"));
            assertTrue(cache.isLoaded("ad-b") && cache.isLoaded("ad-c"));
            assertEquals(1, count(metrics, "evictions", "device"));
            assertEquals(1, count(metrics, "evictions", "host"));
            assertTrue(cache.hostBytes() <= WEIGHTS_BYTES * 5L / 2, "host bytes " + cache.hostBytes());
            awaitUnloaded(engine, "ad-a");

            use(cache, c);
            assertEquals(1, count(metrics, "hits", "device"));

            use(cache, a);   // reload: fetched and verified again, loaded from the right bytes; b goes
            assertEquals(4, count(metrics, "misses", "host"), "a, b, c, then a again");
            assertEquals(4, count(metrics, "loads", "host"));
            assertEquals(List.of("ad-a", "ad-b", "ad-c", "ad-a"), engine.loads);
            assertArrayEquals(a.weights(), engine.loadedBytes.get("ad-a"));
            assertTrue(cache.isLoaded("ad-a") && cache.isLoaded("ad-c") && !cache.isLoaded("ad-b"));
            assertEquals(2, count(metrics, "evictions", "device"));
            awaitUnloaded(engine, "ad-b");
        }
    }

    @Test
    void anAdapterInUseIsNeverEvictedAndTheDeviceByteLimitHoldsOnceItIsReleased() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        Published a = publish(store, "ad-a", 1);
        Published b = publish(store, "ad-b", 2);
        RecordingEngine engine = new RecordingEngine();
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        // room for one adapter's weights on the device
        try (AdapterCache cache = new AdapterCache(store, temp.resolve("cache"), engine,
                new AdapterCache.Limits(8, WEIGHTS_BYTES * 3L / 2, 1L << 30), metrics)) {
            AdapterCache.Lease held = cache.acquire(a.adapter());
            use(cache, b);
            assertTrue(cache.isLoaded("ad-a"), "a request holds a: it stays loaded");
            assertFalse(cache.isLoaded("ad-b"), "b went instead once its request ended, over the byte limit");
            held.close();
            use(cache, b);
            assertFalse(cache.isLoaded("ad-a"));
            assertEquals(WEIGHTS_BYTES, cache.deviceBytes());
            assertEquals(2, count(metrics, "evictions", "device"));
            assertEquals(1, count(metrics, "hits", "host"), "b's files were still on the host");
        }
    }

    @Test
    void filesVerifiedByAnEarlierRunCountAgainstTheHostLimitAndCorruptFilesAreRefused() throws Exception {
        DirectoryArtifactStore store = new DirectoryArtifactStore(temp.resolve("store"));
        Published a = publish(store, "ad-a", 1);
        Published b = publish(store, "ad-b", 2);
        Path cacheDirectory = temp.resolve("cache");
        try (AdapterCache cache = new AdapterCache(store, cacheDirectory, new RecordingEngine(),
                new AdapterCache.Limits(8, 1L << 30, 1L << 30), new SimpleMeterRegistry())) {
            use(cache, a);
            use(cache, b);
        }
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try (AdapterCache restarted = new AdapterCache(store, cacheDirectory, new RecordingEngine(),
                new AdapterCache.Limits(8, 1L << 30, WEIGHTS_BYTES * 3L / 2), metrics)) {
            assertEquals(1, restarted.hostCount(), "the older copy is over the limit");
            assertTrue(restarted.isOnHost("ad-b"));
            use(restarted, b);
            assertEquals(1, count(metrics, "hits", "host"));

            Adapter wrong = new Adapter("ad-x", "x", 1, "acme", "job", new BaseModel("base", "rev"),
                    TrainingMethod.LORA, a.adapter().record().artifactUri(), "0".repeat(64), (long) WEIGHTS_BYTES, Map.of(),
                    Instant.now());
            CorruptArtifactException e = assertThrows(CorruptArtifactException.class,
                    () -> restarted.acquire(new ServableAdapter(wrong)));
            assertTrue(e.getMessage().contains("ad-x"), e.getMessage());
            assertFalse(restarted.isOnHost("ad-x"));
        }
    }
}
