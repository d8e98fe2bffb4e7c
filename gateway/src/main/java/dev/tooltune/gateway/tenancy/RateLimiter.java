package dev.tooltune.gateway.tenancy;

import dev.tooltune.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per API key, in this replica's memory: {@code burst} requests at once, refilled at
 * {@code per-second}. With N replicas behind a balancer a key gets up to N times the rate; that is the price of
 * not making every request wait on a shared store.
 */
@ApplicationScoped
public class RateLimiter {
    private final int burst;
    private final double perSecond;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(GatewayConfig config) {
        this.burst = config.rateLimit().burst();
        this.perSecond = config.rateLimit().perSecond();
    }

    /** 0 if the request may go ahead (a token was taken), else the seconds to wait before a token is there. */
    public long tryAcquire(String keyId) {
        return buckets.computeIfAbsent(keyId, k -> new Bucket(burst)).take(burst, perSecond, System.nanoTime());
    }

    private static final class Bucket {
        private double tokens;
        private long refilledAt = System.nanoTime();

        Bucket(int burst) {
            this.tokens = burst;
        }

        synchronized long take(int burst, double perSecond, long now) {
            tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * perSecond);
            refilledAt = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond));
        }
    }
}
