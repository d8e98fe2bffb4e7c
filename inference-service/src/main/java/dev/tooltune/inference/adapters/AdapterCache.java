package dev.tooltune.inference.adapters;

import dev.tooltune.artifacts.ArtifactStore;
import dev.tooltune.artifacts.CorruptArtifactException;
import dev.tooltune.artifacts.Manifest;
import dev.tooltune.inference.engine.ChatEngineBackend;
import dev.tooltune.model.lora.PeftAdapterFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Adapters in two tiers: host (the verified files fetched from the artifact store, under the cache directory) and
 * device (loaded into the engine, at most {@code deviceCapacity}, least recently used unloaded first).
 *
 * <p>A request {@link #acquire acquires} its adapter version before it is queued and releases it when it ends: the
 * files are fetched then (so a deletion in the store afterwards cannot fail it), and a leased adapter is never
 * unloaded, also not when the topic deletes or replaces it meanwhile; it goes once its last request ends.
 */
public final class AdapterCache implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdapterCache.class);

    /** A request's hold on one loaded adapter version. */
    public final class Lease implements AutoCloseable {
        private final Loaded entry;
        private boolean released;

        private Lease(Loaded entry) {
            this.entry = entry;
        }

        public String adapterId() {
            return entry.id;
        }

        @Override
        public void close() {
            synchronized (AdapterCache.this) {
                if (released) {
                    return;
                }
                released = true;
                entry.leases--;
                if (entry.removed && entry.leases == 0) {
                    discard(entry);
                }
            }
        }
    }

    private static final class Loaded {
        final String id;
        final Path directory;
        int leases;
        boolean removed;

        Loaded(String id, Path directory) {
            this.id = id;
            this.directory = directory;
        }
    }

    private final ArtifactStore store;
    private final Path cacheDirectory;
    private final ChatEngineBackend engine;
    private final int deviceCapacity;
    /** Access order: the first entry is the least recently used. Guarded by this. */
    private final LinkedHashMap<String, Loaded> device = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, Object> loadLocks = new ConcurrentHashMap<>();
    /** Ids the topic deleted or replaced: never loaded again (a request by name then takes the current version). */
    private final java.util.Set<String> removedIds = ConcurrentHashMap.newKeySet();
    private final ExecutorService janitor = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "adapter-unloader");
        thread.setDaemon(true);
        return thread;
    });
    private final Counter hits;
    private final Counter misses;
    private final Counter loads;
    private final Counter fetches;
    private final Counter unloads;

    public AdapterCache(ArtifactStore store, Path cacheDirectory, ChatEngineBackend engine, int deviceCapacity,
            MeterRegistry metrics) {
        this.store = store;
        this.cacheDirectory = cacheDirectory;
        this.engine = engine;
        this.deviceCapacity = Math.max(1, deviceCapacity);
        this.hits = metrics.counter("tooltune.adapter.cache.hits");
        this.misses = metrics.counter("tooltune.adapter.cache.misses");
        this.loads = metrics.counter("tooltune.adapter.cache.loads");
        this.fetches = metrics.counter("tooltune.adapter.fetches");
        this.unloads = metrics.counter("tooltune.adapter.cache.unloads");
        metrics.gauge("tooltune.adapter.cache.loaded", device, d -> {
            synchronized (this) {
                return d.size();
            }
        });
    }

    /** Fetches (host tier) and loads (device tier) {@code adapter} if needed, and holds it for one request. */
    public Lease acquire(ServableAdapter adapter) throws IOException {
        synchronized (this) {
            Loaded entry = device.get(adapter.id());
            if (entry != null && !entry.removed) {
                hits.increment();
                entry.leases++;
                return new Lease(entry);
            }
        }
        Object lock = loadLocks.computeIfAbsent(adapter.id(), id -> new Object());
        synchronized (lock) {
            synchronized (this) {
                Loaded entry = device.get(adapter.id());
                if (entry != null && !entry.removed) {
                    hits.increment();
                    entry.leases++;
                    return new Lease(entry);
                }
            }
            if (removedIds.contains(adapter.id())) {
                throw new AdapterRemovedException(adapter.id());
            }
            misses.increment();
            Path directory = hostCopy(adapter);
            engine.loadAdapter(adapter.id(), directory);
            loads.increment();
            synchronized (this) {
                Loaded entry = new Loaded(adapter.id(), directory);
                entry.leases = 1;
                device.put(adapter.id(), entry);
                evictBeyondCapacity();
                return new Lease(entry);
            }
        }
    }

    /** The topic no longer serves {@code adapterId}: unload it now, or when its last request ends. */
    public synchronized void removed(String adapterId) {
        removedIds.add(adapterId);
        Loaded entry = device.get(adapterId);
        if (entry != null) {
            entry.removed = true;
            if (entry.leases == 0) {
                discard(entry);
            }
        } else {
            janitor.execute(() -> deleteQuietly(hostDirectory(adapterId)));
        }
    }

    /** The topic serves {@code adapterId} (again). */
    public void added(String adapterId) {
        removedIds.remove(adapterId);
    }

    /** The adapter was deleted or replaced on the topic after the request resolved it. */
    public static final class AdapterRemovedException extends RuntimeException {
        public AdapterRemovedException(String adapterId) {
            super("adapter " + adapterId + " was removed", null, false, false);
        }
    }

    public synchronized int loadedCount() {
        return device.size();
    }

    private void evictBeyondCapacity() {
        var iterator = device.values().iterator();
        while (device.size() > deviceCapacity && iterator.hasNext()) {
            Loaded candidate = iterator.next();
            if (candidate.leases == 0) {
                iterator.remove();
                unloadLater(candidate, false);
            }
        }
    }

    /** Under this lock. */
    private void discard(Loaded entry) {
        if (device.get(entry.id) == entry) {
            device.remove(entry.id);
        }
        unloadLater(entry, true);
    }

    private void unloadLater(Loaded entry, boolean deleteFiles) {
        unloads.increment();
        janitor.execute(() -> {
            try {
                engine.unloadAdapter(entry.id);
            } catch (RuntimeException e) {
                LOG.warnf(e, "unloading adapter %s failed", entry.id);
            }
            if (deleteFiles) {
                deleteQuietly(entry.directory);
            }
        });
    }

    /** The verified files of {@code adapter}, fetched once: the manifest's checksums, then the record's sha256. */
    private Path hostCopy(ServableAdapter adapter) throws IOException {
        Path target = hostDirectory(adapter.id());
        Path weights = target.resolve(PeftAdapterFiles.WEIGHTS_FILE);
        if (Files.isRegularFile(target.resolve(".verified")) && Files.isRegularFile(weights)) {
            return target;
        }
        Files.createDirectories(cacheDirectory);
        Path staging = Files.createTempDirectory(cacheDirectory, adapter.id() + ".fetch-");
        try {
            store.fetch(URI.create(adapter.record().artifactUri()), staging);
            fetches.increment();
            Path fetchedWeights = staging.resolve(PeftAdapterFiles.WEIGHTS_FILE);
            if (!Files.isRegularFile(fetchedWeights)) {
                throw new CorruptArtifactException("artifact " + adapter.record().artifactUri() + " of adapter "
                        + adapter.id() + " has no " + PeftAdapterFiles.WEIGHTS_FILE);
            }
            String actual = Manifest.sha256(fetchedWeights);
            if (!actual.equals(adapter.record().sha256())) {
                throw new CorruptArtifactException("adapter " + adapter.id() + ": " + PeftAdapterFiles.WEIGHTS_FILE
                        + " has sha256 " + actual + ", the adapters record says " + adapter.record().sha256());
            }
            Files.writeString(staging.resolve(".verified"), actual);
            deleteQuietly(target);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } finally {
            deleteQuietly(staging);
        }
    }

    private Path hostDirectory(String adapterId) {
        return cacheDirectory.resolve(adapterId.replace(':', '_'));
    }

    private static void deleteQuietly(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.debugf("could not delete %s: %s", directory, e.toString());
        }
    }

    @Override
    public void close() {
        janitor.shutdown();
    }
}
