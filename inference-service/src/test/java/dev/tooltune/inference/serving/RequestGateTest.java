package dev.tooltune.inference.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The gate's admission decisions on a clock the test moves: what a server of 2 slots, a 10 s timeout and room for 64
 * does as requests arrive and finish at known rates.
 */
class RequestGateTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final RequestGate gate = new RequestGate(64, 2, Duration.ofSeconds(10), clock::get);

    private void advance(double seconds) {
        clock.addAndGet((long) (seconds * 1e9));
    }

    private void admit(int n) {
        for (int i = 0; i < n; i++) {
            assertNull(gate.tryEnter(1), "admitted " + gate.admitted() + " then refused");
        }
    }

    @Test
    void withNoFinishSeenOnlyTheCountApplies() {
        admit(64);
        RequestGate.Refusal refusal = gate.tryEnter(1);
        assertNotNull(refusal);
        assertTrue(refusal.full());
        assertEquals(1, refusal.retryAfterSeconds());
    }

    @Test
    void aRequestThatWouldNotFinishInTimeAtTheMeasuredRateIsRefusedAtOnce() {
        // full for 10 s while one request a second finishes: a rate of 1/s
        admit(2);
        for (int i = 0; i < 10; i++) {
            advance(1);
            gate.exit();
            admit(1);
        }
        // 2 in the system: a third takes about 3 s; up to 9 in the system a new one still finishes within 10 s
        admit(8);
        assertEquals(10, gate.admitted());
        RequestGate.Refusal refusal = gate.tryEnter(1);
        assertNotNull(refusal, "10 ahead at 1/s: about 11 s, over the 10 s timeout");
        assertFalse(refusal.full());
        assertEquals(11.0, refusal.expectedSeconds(), 0.5);
        assertEquals(1, refusal.retryAfterSeconds(), "one finish makes room");
        // once two more have left, there is room again
        advance(1);
        gate.exit();
        advance(1);
        gate.exit();
        assertNull(gate.tryEnter(1));
    }

    @Test
    void whileNothingFinishesTheRateFallsAndQueueingRequestsAreRefused() {
        admit(2);
        for (int i = 0; i < 5; i++) {
            advance(0.1);
            gate.exit();
            admit(1);
        }
        admit(3);                      // fast so far: 10 per second
        advance(30);                   // then nothing finishes for 30 s
        RequestGate.Refusal refusal = gate.tryEnter(1);
        assertNotNull(refusal, "4 intervals in 30.4 s full: a sixth in the system would take about 46 s");
        assertTrue(refusal.retryAfterSeconds() > 1 && refusal.retryAfterSeconds() <= 10, refusal.toString());
    }

    @Test
    void idleTimeDoesNotCountAsSlowAndFreeSlotsAreNeverRefusedForRate() {
        // a slow period: full, one finish every 5 s
        admit(2);
        for (int i = 0; i < 4; i++) {
            advance(5);
            gate.exit();
            admit(1);
        }
        gate.exit();
        gate.exit();
        assertEquals(0, gate.admitted());
        advance(3600);                  // an idle hour
        admit(2);                       // free slots: no rate check
        // full again at once: the rate is still the slow period's (4 in 20 s full), not 4 an hour
        RequestGate.Refusal refusal = gate.tryEnter(1);
        assertNull(refusal, "the rate is 5 intervals in 15 s full (a third in the system: 9 s), not 5 in an hour");
    }
}
