package dev.tooltune.inference.serving;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded queue in front of the engine: at most {@code capacity} requests admitted and not finished; beyond it a
 * request is refused at once (429 with Retry-After) instead of waiting without bound.
 */
public final class RequestGate {
    private final int capacity;
    private final AtomicInteger admitted = new AtomicInteger();

    public RequestGate(int capacity) {
        this.capacity = capacity;
    }

    public boolean tryEnter() {
        while (true) {
            int now = admitted.get();
            if (now >= capacity) {
                return false;
            }
            if (admitted.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void exit() {
        admitted.decrementAndGet();
    }

    public int admitted() {
        return admitted.get();
    }
}
