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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Adapters in two tiers, each bounded and least recently used out first: host (the verified files fetched from the
 * artifact store, under the cache directory, at most {@code hostBytes}) and device (loaded into the engine, at most
 * {@code deviceCapacity} adapters and {@code deviceBytes} of weights). Each tier counts hits, misses, loads and
 * evictions ({@code tooltune.adapter.cache.*{tier=device|host}}).
 *
 * <p>A request {@link #acquire acquires} its adapter version before it is queued and releases it when it ends: the
 * files are fetched then (so a deletion in the store afterwards cannot fail it), and a leased adapter is never
 * unloaded, also not when the topic deletes or replaces it meanwhile; it goes once its last request ends.
 */
public final class AdapterCache implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdapterCache.class);
    private static final String VERIFIED = ".verified";
    private static final String EVICTED = ".evicted-";

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
                // Adapters in use may have held the device tier over its limits.
                evictBeyondCapacity();
            }
        }
    }

    private static final class Loaded {
        final String id;
        final long bytes;
        int leases;
        boolean removed;

        Loaded(String id, long bytes) {
            this.id = id;
            this.bytes = bytes;
        }
    }

    /** An adapter's verified files on the host; pinned while the engine loads from them. */
    private static final class HostCopy {
        final String id;
        final Path directory;
        final long bytes;
        int pins;

        HostCopy(String id, Path directory, long bytes) {
            this.id = id;
            this.directory = directory;
            this.bytes = bytes;
        }
    }

    /** The bounds of both tiers. */
    public record Limits(int deviceAdapters, long deviceBytes, long hostBytes) {
        public Limits {
            if (deviceAdapters < 1 || deviceBytes < 1 || hostBytes < 1) {
                throw new IllegalArgumentException("adapter cache limits must be positive: device " + deviceAdapters
                        + " adapters / " + deviceBytes + " bytes, host " + hostBytes + " bytes");
            }
        }
    }

    private final ArtifactStore store;
    private final Path cacheDirectory;
    private final ChatEngineBackend engine;
    private final Limits limits;
    /** Access order: the first entry is the least recently used. Guarded by this. */
    private final LinkedHashMap<String, Loaded> device = new LinkedHashMap<>(16, 0.75f, true);
    private long deviceBytes;
    /** Access order, as {@link #device}. Guarded by this. */
    private final LinkedHashMap<String, HostCopy> host = new LinkedHashMap<>(16, 0.75f, true);
    private long hostBytes;
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
    private final Counter evictions;
    private final Counter hostHits;
    private final Counter hostMisses;
    private final Counter fetches;
    private final Counter hostEvictions;
    private final Counter unloads;

    public AdapterCache(ArtifactStore store, Path cacheDirectory, ChatEngineBackend engine, Limits limits,
            MeterRegistry metrics) {
        this.store = store;
        this.cacheDirectory = cacheDirectory;
        this.engine = engine;
        this.limits = limits;
        this.hits = metrics.counter("tooltune.adapter.cache.hits", "tier", "device");
        this.misses = metrics.counter("tooltune.adapter.cache.misses", "tier", "device");
        this.loads = metrics.counter("tooltune.adapter.cache.loads", "tier", "device");
        this.evictions = metrics.counter("tooltune.adapter.cache.evictions", "tier", "device");
        this.hostHits = metrics.counter("tooltune.adapter.cache.hits", "tier", "host");
        this.hostMisses = metrics.counter("tooltune.adapter.cache.misses", "tier", "host");
        this.fetches = metrics.counter("tooltune.adapter.cache.loads", "tier", "host");
        this.hostEvictions = metrics.counter("tooltune.adapter.cache.evictions", "tier", "host");
        this.unloads = metrics.counter("tooltune.adapter.cache.unloads");
        metrics.gauge("tooltune.adapter.cache.entries", java.util.List.of(io.micrometer.core.instrument.Tag.of("tier",
                "device")), this, c -> c.loadedCount());
        metrics.gauge("tooltune.adapter.cache.bytes", java.util.List.of(io.micrometer.core.instrument.Tag.of("tier",
                "device")), this, c -> c.deviceBytes());
        metrics.gauge("tooltune.adapter.cache.entries", java.util.List.of(io.micrometer.core.instrument.Tag.of("tier",
                "host")), this, c -> c.hostCount());
        metrics.gauge("tooltune.adapter.cache.bytes", java.util.List.of(io.micrometer.core.instrument.Tag.of("tier",
                "host")), this, c -> c.hostBytes());
        indexHostCopies();
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
            HostCopy copy = hostCopy(adapter);
            try {
                engine.loadAdapter(adapter.id(), copy.directory);
            } finally {
                synchronized (this) {
                    copy.pins--;
                    evictHostBeyondLimit();
                }
            }
            loads.increment();
            synchronized (this) {
                Loaded entry = new Loaded(adapter.id(), weightsBytes(copy.directory));
                entry.leases = 1;
                device.put(adapter.id(), entry);
                deviceBytes += entry.bytes;
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
        }
        HostCopy copy = host.get(hostKey(adapterId));
        if (copy != null && copy.pins == 0) {
            dropHostCopy(copy);
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

    /** Adapters loaded in the engine. */
    public synchronized int loadedCount() {
        return device.size();
    }

    /** Bytes of the loaded adapters' weights. */
    public synchronized long deviceBytes() {
        return deviceBytes;
    }

    /** Adapters whose verified files are on the host. */
    public synchronized int hostCount() {
        return host.size();
    }

    /** Bytes of the adapters' files on the host. */
    public synchronized long hostBytes() {
        return hostBytes;
    }

    /** Whether {@code adapterId} is loaded in the engine (for tests and diagnostics). */
    public synchronized boolean isLoaded(String adapterId) {
        return device.containsKey(adapterId);
    }

    /** Whether {@code adapterId}'s files are on the host (for tests and diagnostics). */
    public synchronized boolean isOnHost(String adapterId) {
        return host.containsKey(hostKey(adapterId));
    }

    /** Where an adapter is now: loaded in the engine (its files may also be on the host), only on the host, or neither. */
    public enum Residence {
        DEVICE, HOST, NONE;

        /** The word the API lists it as: {@code device}, {@code host} or {@code none}. */
        public String apiName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Where {@code adapterId} is now (a snapshot: the next request or eviction may change it). */
    public synchronized Residence residence(String adapterId) {
        if (device.containsKey(adapterId)) {
            return Residence.DEVICE;
        }
        return host.containsKey(hostKey(adapterId)) ? Residence.HOST : Residence.NONE;
    }

    /** Under this lock: least recently used first, never one that a request holds. */
    private void evictBeyondCapacity() {
        var iterator = device.values().iterator();
        while ((device.size() > limits.deviceAdapters() || deviceBytes > limits.deviceBytes()) && iterator.hasNext()) {
            Loaded candidate = iterator.next();
            if (candidate.leases == 0) {
                iterator.remove();
                deviceBytes -= candidate.bytes;
                evictions.increment();
                unloadLater(candidate);
            }
        }
    }

    /** Under this lock: least recently used first, never files the engine is loading from. */
    private void evictHostBeyondLimit() {
        var iterator = host.values().iterator();
        while (hostBytes > limits.hostBytes() && iterator.hasNext()) {
            HostCopy candidate = iterator.next();
            if (candidate.pins == 0) {
                iterator.remove();
                hostBytes -= candidate.bytes;
                hostEvictions.increment();
                deleteLater(candidate.directory);
            }
        }
    }

    /** Under this lock. */
    private void dropHostCopy(HostCopy copy) {
        if (host.remove(copy.id, copy)) {
            hostBytes -= copy.bytes;
        }
        deleteLater(copy.directory);
    }

    /**
     * Moves evicted files aside at once (a fetch of the same adapter may write the same directory right after) and
     * deletes them on the janitor thread.
     */
    private void deleteLater(Path directory) {
        Path aside = directory.resolveSibling(directory.getFileName() + EVICTED + System.nanoTime());
        try {
            Files.move(directory, aside, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.debugf("could not move %s aside: %s", directory, e.toString());
            return;
        }
        janitor.execute(() -> deleteQuietly(aside));
    }

    /** Under this lock. */
    private void discard(Loaded entry) {
        if (device.remove(entry.id, entry)) {
            deviceBytes -= entry.bytes;
        }
        unloadLater(entry);
    }

    private void unloadLater(Loaded entry) {
        unloads.increment();
        janitor.execute(() -> {
            try {
                engine.unloadAdapter(entry.id);
            } catch (RuntimeException e) {
                LOG.warnf(e, "unloading adapter %s failed", entry.id);
            }
        });
    }

    /**
     * The verified files of {@code adapter} (the manifest's checksums, then the record's sha256), fetched when the
     * host tier does not hold them; returned pinned (the caller unpins once the engine has loaded them).
     */
    private HostCopy hostCopy(ServableAdapter adapter) throws IOException {
        synchronized (this) {
            HostCopy copy = host.get(hostKey(adapter.id()));
            if (copy != null && Files.isRegularFile(copy.directory.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
                hostHits.increment();
                copy.pins++;
                markUsed(copy.directory);
                return copy;
            }
            if (copy != null) {
                host.remove(copy.id);
                hostBytes -= copy.bytes;
            }
        }
        hostMisses.increment();
        Path target = hostDirectory(adapter.id());
        Files.createDirectories(cacheDirectory);
        Path staging = Files.createTempDirectory(cacheDirectory, adapter.id().replace(':', '_') + ".fetch-");
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
            Files.writeString(staging.resolve(VERIFIED), actual);
            deleteQuietly(target);
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            markUsed(target);
            HostCopy copy = new HostCopy(hostKey(adapter.id()), target, directoryBytes(target));
            synchronized (this) {
                copy.pins = 1;
                host.put(copy.id, copy);
                hostBytes += copy.bytes;
                evictHostBeyondLimit();
            }
            return copy;
        } finally {
            deleteQuietly(staging);
        }
    }

    /**
     * Files verified by an earlier run of the service count against the host limit (oldest first, as least recently
     * used); what was never verified is deleted.
     */
    private void indexHostCopies() {
        if (!Files.isDirectory(cacheDirectory)) {
            return;
        }
        try (Stream<Path> children = Files.list(cacheDirectory)) {
            List<Path> verified = new ArrayList<>();
            for (Path child : children.toList()) {
                String name = child.getFileName().toString();
                if (!name.contains(EVICTED) && !name.contains(".fetch-") && Files.isRegularFile(child.resolve(VERIFIED))
                        && Files.isRegularFile(child.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
                    verified.add(child);
                } else {
                    deleteQuietly(child);
                }
            }
            verified.sort(Comparator.comparing(AdapterCache::modified));
            synchronized (this) {
                for (Path directory : verified) {
                    String id = directory.getFileName().toString();
                    HostCopy copy = new HostCopy(id, directory, directoryBytes(directory));
                    host.put(id, copy);
                    hostBytes += copy.bytes;
                }
                evictHostBeyondLimit();
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("cannot index the adapter cache directory %s: %s", cacheDirectory, e.toString());
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong LAST_USE = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Stamps a host copy's directory with its last use, strictly later than any earlier stamp of this process, so that
     * a restart orders copies as least recently used even when two were used within the file system's clock tick.
     */
    private static void markUsed(Path directory) {
        long stamp = LAST_USE.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis()));
        try {
            Files.setLastModifiedTime(directory, java.nio.file.attribute.FileTime.fromMillis(stamp));
        } catch (IOException e) {
            LOG.debugf("cannot stamp %s: %s", directory, e.toString());
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path path) {
        try {
            return Files.getLastModifiedTime(path);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    private static long weightsBytes(Path directory) {
        try {
            return Files.size(directory.resolve(PeftAdapterFiles.WEIGHTS_FILE));
        } catch (IOException e) {
            return 0;
        }
    }

    private static long directoryBytes(Path directory) {
        try (Stream<Path> walk = Files.walk(directory)) {
            return walk.filter(Files::isRegularFile).mapToLong(path -> {
                try {
                    return Files.size(path);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private Path hostDirectory(String adapterId) {
        return cacheDirectory.resolve(hostKey(adapterId));
    }

    /** The host tier's key of an adapter: its directory's name. */
    private static String hostKey(String adapterId) {
        return adapterId.replace(':', '_');
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
