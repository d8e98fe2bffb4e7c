package dev.tooltune.inference.adapters;

import dev.tooltune.contracts.adapters.Adapter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The servable adapters as the {@code adapters} topic last said: by adapter id, and each {@code tenant/name}'s
 * highest version. Updated by one consumer thread, read by every request; a lookup returns one immutable version,
 * so a request keeps the version it resolved whatever is published afterwards.
 */
public final class AdapterRegistry {
    private final Map<String, ServableAdapter> byId = new ConcurrentHashMap<>();
    private volatile Consumer<String> onRemoved = id -> { };
    private volatile Consumer<String> onAdded = id -> { };

    /** Called with an adapter id that became servable. */
    public void onAdded(Consumer<String> listener) {
        this.onAdded = listener;
    }

    /** Called with an adapter id that is no longer servable (deleted or replaced by another record of that id). */
    public void onRemoved(Consumer<String> listener) {
        this.onRemoved = listener;
    }

    public void put(Adapter adapter) {
        ServableAdapter previous = byId.get(adapter.adapterId());
        if (previous != null && !previous.record().sha256().equals(adapter.sha256())) {
            // Same id, other weights: the loaded copy must go before the new one can be used.
            byId.remove(adapter.adapterId());
            onRemoved.accept(adapter.adapterId());
        }
        onAdded.accept(adapter.adapterId());
        byId.put(adapter.adapterId(), new ServableAdapter(adapter));
    }

    public void remove(String adapterId) {
        if (byId.remove(adapterId) != null) {
            onRemoved.accept(adapterId);
        }
    }

    public Optional<ServableAdapter> byId(String adapterId) {
        return Optional.ofNullable(byId.get(adapterId));
    }

    /** The highest version of {@code name} in {@code tenantId}. */
    public Optional<ServableAdapter> latest(String tenantId, String name) {
        return byId.values().stream()
                .filter(a -> a.tenantId().equals(tenantId) && a.name().equals(name))
                .max(Comparator.comparingInt(ServableAdapter::version));
    }

    /** Every servable adapter, of one tenant when {@code tenantId} is given; sorted by id. */
    public List<ServableAdapter> list(String tenantId) {
        List<ServableAdapter> out = new ArrayList<>();
        for (ServableAdapter adapter : byId.values()) {
            if (tenantId == null || adapter.tenantId().equals(tenantId)) {
                out.add(adapter);
            }
        }
        out.sort(Comparator.comparing(ServableAdapter::id));
        return out;
    }

    public int size() {
        return byId.size();
    }
}
