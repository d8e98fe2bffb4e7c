package dev.tooltune.inference.serving;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The bounded queue in front of the engine. A request is refused at once (429 with Retry-After) instead of waiting
 * for nothing when either
 * <ul>
 *   <li>{@code capacity} requests are already admitted and not finished, or</li>
 *   <li>it would have to queue (every one of the engine's {@code slots} is taken) and, at the rate requests have been
 *       finishing, it would not finish within the request timeout: by Little's law a request's time in the system is
 *       about the number in the system divided by the rate they leave it. Without this a count-bounded queue of slow
 *       requests fills with clients that all wait the whole timeout and get a 504 (seen under load: 144 of 363).</li>
 * </ul>
 * The finishing rate is the last {@value #RATE_WINDOW} finishes over the time every slot was taken since the oldest of
 * them, up to now: idle time says nothing about the rate and is not counted, and a rate falls while nothing finishes.
 * It follows the model, the prompts and the machine without configuration. Until two finishes are seen only the count
 * applies. Thread-safe.
 */
public final class RequestGate {
    /** How many recent finishes the rate is measured over. */
    static final int RATE_WINDOW = 32;

    /** Why a request was refused, with how long to wait before retrying. */
    public record Refusal(boolean full, double expectedSeconds, int retryAfterSeconds) {}

    private final int capacity;
    private final int slots;
    private final double timeoutSeconds;
    private final LongSupplier nanoTime;
    private final long[] finishes = new long[RATE_WINDOW];   // ring of finish times on the busy clock
    private int finished;                                     // finishes recorded, capped at RATE_WINDOW
    private int next;
    private int admitted;
    private long busyNanos;                                   // time every slot was taken, before fullSince
    private boolean full;
    private long fullSince;

    public RequestGate(int capacity, int slots, Duration timeout) {
        this(capacity, slots, timeout, System::nanoTime);
    }

    RequestGate(int capacity, int slots, Duration timeout, LongSupplier nanoTime) {
        this.capacity = capacity;
        this.slots = Math.max(1, slots);
        this.timeoutSeconds = timeout.toNanos() / 1e9;
        this.nanoTime = nanoTime;
    }

    /** Admits the request (null), or says why not; an admitted request must {@link #exit} exactly once. */
    public synchronized Refusal tryEnter(int minimumRetryAfterSeconds) {
        if (admitted >= capacity) {
            return new Refusal(true, Double.NaN, minimumRetryAfterSeconds);
        }
        long now = nanoTime.getAsLong();
        if (admitted >= slots && finished >= 2) {
            long oldest = finishes[finished < RATE_WINDOW ? 0 : next];
            double seconds = Math.max(1e-3, (busyClock(now) - oldest) / 1e9);
            double rate = (finished - 1) / seconds;                 // requests leaving per second while full
            double expected = (admitted + 1) / rate;                // this one's time in the system
            if (expected > timeoutSeconds) {
                // until enough have left that a new request would finish in time
                double drain = (admitted + 1 - rate * timeoutSeconds) / rate;
                int retryAfter = (int) Math.max(minimumRetryAfterSeconds, Math.min(Math.ceil(drain), timeoutSeconds));
                return new Refusal(false, expected, retryAfter);
            }
        }
        if (++admitted >= slots && !full) {
            full = true;
            fullSince = now;
        }
        return null;
    }

    public synchronized void exit() {
        long now = nanoTime.getAsLong();
        finishes[next] = busyClock(now);
        next = (next + 1) % RATE_WINDOW;
        finished = Math.min(finished + 1, RATE_WINDOW);
        if (--admitted < slots && full) {
            busyNanos += now - fullSince;
            full = false;
        }
    }

    private long busyClock(long now) {
        return busyNanos + (full ? now - fullSince : 0);
    }

    public synchronized int admitted() {
        return admitted;
    }
}
