package dev.tooltune.model.serving;

import ai.djl.ndarray.NDManager;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.AdapterBatch;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.PeftAdapterFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The adapters a {@link ServingEngine} can serve, by id. Each request holds a reference to the version it started
 * with; loading a new version under the same id or unloading it only takes it away from new requests, and its
 * tensors are freed when the last request using it finishes. Thread-safe: loads run on the caller's thread.
 */
final class AdapterRegistry {

    /** One loaded version of an adapter. {@code key} is unique per load, so prefix-cache entries never outlive it. */
    static final class Loaded {
        final String id;
        final long key;
        final LoraAdapter adapter;
        final AdapterBatch uniform;     // the adapter applied to every row of a batch, reused across steps
        private int references;
        private boolean retired;
        volatile boolean closed;

        Loaded(String id, long key, LoraAdapter adapter, AdapterBatch uniform) {
            this.id = id;
            this.key = key;
            this.adapter = adapter;
            this.uniform = uniform;
        }
    }

    private final Gemma3Model model;
    private final Map<String, Loaded> active = new HashMap<>();
    private final AtomicLong keys = new AtomicLong();

    AdapterRegistry(Gemma3Model model) {
        this.model = model;
    }

    void load(String id, Path peftDirectory) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("adapter id is empty");
        }
        // Read outside the lock: a slow load must not hold up requests that acquire other adapters.
        NDManager parent = model.manager();
        LoraAdapter adapter = PeftAdapterFiles.load(peftDirectory, parent, new ArrayList<>(model.projections().values()));
        Loaded loaded = new Loaded(id, keys.incrementAndGet(), adapter,
                new AdapterBatch(List.of(adapter), parent, model.computeType()));
        Loaded previous;
        synchronized (this) {
            previous = active.put(id, loaded);
            if (previous != null) {
                retire(previous);
            }
        }
    }

    synchronized boolean unload(String id) {
        Loaded previous = active.remove(id);
        if (previous == null) {
            return false;
        }
        retire(previous);
        return true;
    }

    synchronized boolean contains(String id) {
        return active.containsKey(id);
    }

    synchronized int size() {
        return active.size();
    }

    /** The current version of {@code id}, referenced until {@link #release}; throws when it is not loaded. */
    synchronized Loaded acquire(String id) {
        Loaded loaded = active.get(id);
        if (loaded == null) {
            throw new IllegalArgumentException("adapter '" + id + "' is not loaded");
        }
        loaded.references++;
        return loaded;
    }

    synchronized void release(Loaded loaded) {
        loaded.references--;
        if (loaded.retired && loaded.references == 0) {
            close(loaded);
        }
    }

    synchronized void closeAll() {
        for (Loaded loaded : active.values()) {
            retire(loaded);
        }
        active.clear();
    }

    private void retire(Loaded loaded) {
        loaded.retired = true;
        if (loaded.references == 0) {
            close(loaded);
        }
    }

    private static void close(Loaded loaded) {
        loaded.closed = true;
        loaded.uniform.close();
        loaded.adapter.close();
    }
}
