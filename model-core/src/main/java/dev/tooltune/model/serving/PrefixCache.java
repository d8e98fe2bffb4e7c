package dev.tooltune.model.serving;

import dev.tooltune.model.gemma3.KvCache;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * KV caches of prompt prefixes (typically the system prompt and tools block that every request of one application
 * starts with), keyed by the exact prefix tokens and the adapter version (an adapter changes every layer's keys and
 * values). Bounded in bytes; the least recently used entry goes first. Used by the scheduler thread only.
 */
final class PrefixCache implements AutoCloseable {

    /** {@code adapterKey} 0 = base model. */
    record Key(long adapterKey, int[] tokens, int hash) {
        static Key of(long adapterKey, int[] prompt, int length) {
            int[] tokens = Arrays.copyOf(prompt, length);
            return new Key(adapterKey, tokens, 31 * Long.hashCode(adapterKey) + Arrays.hashCode(tokens));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.adapterKey == adapterKey && Arrays.equals(k.tokens, tokens);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private final long budget;
    private final LinkedHashMap<Key, KvCache> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;

    PrefixCache(long budgetBytes) {
        this.budget = budgetBytes;
    }

    boolean enabled() {
        return budget > 0;
    }

    /** The cached prefix, or null (counted as a miss). The caller copies it; the entry stays owned here. */
    KvCache get(Key key) {
        KvCache cache = entries.get(key);
        if (cache == null) {
            misses++;
        } else {
            hits++;
        }
        return cache;
    }

    /** Takes ownership of {@code cache}; evicts the least recently used entries to stay within the budget. */
    void put(Key key, KvCache cache) {
        long size = cache.bytes();
        if (size > budget) {
            cache.close();
            return;
        }
        KvCache replaced = entries.put(key, cache);
        if (replaced != null) {
            bytes -= replaced.bytes();
            replaced.close();
        }
        bytes += size;
        Iterator<Map.Entry<Key, KvCache>> eldest = entries.entrySet().iterator();
        while (bytes > budget && eldest.hasNext()) {
            Map.Entry<Key, KvCache> entry = eldest.next();
            bytes -= entry.getValue().bytes();
            entry.getValue().close();
            eldest.remove();
        }
    }

    /** Drops the entries of an adapter version that was unloaded. */
    void removeAdapter(long adapterKey) {
        Iterator<Map.Entry<Key, KvCache>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Key, KvCache> entry = it.next();
            if (entry.getKey().adapterKey() == adapterKey) {
                bytes -= entry.getValue().bytes();
                entry.getValue().close();
                it.remove();
            }
        }
    }

    int size() {
        return entries.size();
    }

    long bytes() {
        return bytes;
    }

    long hits() {
        return hits;
    }

    long misses() {
        return misses;
    }

    @Override
    public void close() {
        entries.values().forEach(KvCache::close);
        entries.clear();
        bytes = 0;
    }
}
