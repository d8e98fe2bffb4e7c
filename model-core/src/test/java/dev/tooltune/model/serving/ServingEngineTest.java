package dev.tooltune.model.serving;

import dev.tooltune.model.fixtures.RandomFixtures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler end to end on a tiny random model: tokens of a request never depend on its neighbours. */
class ServingEngineTest {
    static Gemma3Model model;
    static int vocab;
    @TempDir
    static Path adapters;
    static Path adapterA;
    static Path adapterB;

    @BeforeAll
    static void build() {
        model = TestModels.model(TestModels.config(), 17);
        vocab = model.config().vocabSize();
        adapterA = RandomFixtures.adapter(model, adapters.resolve("a"), 4, Set.of("q_proj", "v_proj", "down_proj"), 1, 0.5);
        adapterB = RandomFixtures.adapter(model, adapters.resolve("b"), 2, Set.of("q_proj", "o_proj", "up_proj"), 2, 0.5);
    }

    @AfterAll
    static void release() {
        model.close();
    }

    static ServingConfig config(int running) {
        return ServingConfig.defaults().withMaxRunningSequences(running).withStopTokens(Set.of());
    }

    static int[] run(ServingEngine engine, GenerationRequest request) throws Exception {
        return engine.submit(request).result().get(60, TimeUnit.SECONDS).tokens();
    }

    static GenerationRequest request(int[] prompt, String adapter, Sampling sampling, int max) {
        return new GenerationRequest(prompt, 0, adapter, sampling, max, null, null);
    }

    @Test
    void joiningAndLeavingMidDecodeGivesTheTokensOfEachRequestRunAlone() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        String[] ids = {"a", "b", null, "a", null, "b"};
        for (int i = 0; i < ids.length; i++) {
            Sampling sampling = i % 2 == 0 ? Sampling.greedy() : new Sampling(0.9, 0.95, 0, 100L + i);
            requests.add(request(RandomFixtures.prompt(3 + 2 * i, i, vocab), ids[i], sampling, 6 + 3 * i));
        }
        List<int[]> alone = new ArrayList<>();
        try (ServingEngine engine = ServingEngine.start(model, config(1))) {
            engine.loadAdapter("a", adapterA);
            engine.loadAdapter("b", adapterB);
            for (GenerationRequest r : requests) {
                alone.add(run(engine, r));
            }
        }
        try (ServingEngine engine = ServingEngine.start(model, config(4))) {
            engine.loadAdapter("a", adapterA);
            engine.loadAdapter("b", adapterB);
            // Submitted one by one while the earlier ones decode: they join mid-decode, short ones leave early.
            List<GenerationHandle> handles = new ArrayList<>();
            for (GenerationRequest r : requests) {
                handles.add(engine.submit(r));
                Thread.sleep(15);
            }
            for (int i = 0; i < requests.size(); i++) {
                Completion c = handles.get(i).result().get(60, TimeUnit.SECONDS);
                assertArrayEquals(alone.get(i), c.tokens(), "request " + i + " (adapter " + ids[i] + ")");
                assertEquals(FinishReason.LENGTH, c.finishReason());
                assertEquals(requests.get(i).maxNewTokens(), c.tokens().length);
            }
            assertTrue(engine.stats().decodeSteps() > 0);
        }
    }

    /**
     * One prompt under the base model, adapter a and adapter b, decoded in one batch: each row gets what it gets
     * alone, and the three differ (so the test fails if adapters were ignored, or one row's adapter served all).
     * Checked on broken builds: AdapterBatch.delta returning null fails it ("adapter a changes nothing") while every
     * older test here passed; the batch's first adapter serving every row fails it at row 0.
     */
    @Test
    void mixedAdapterRowsOfOnePromptGetWhatEachGetsAloneAndTheAdaptersMatter() throws Exception {
        int[] prompt = RandomFixtures.prompt(9, 77, vocab);
        String[] ids = {null, "a", "b", "a", null};
        List<int[]> alone = new ArrayList<>();
        try (ServingEngine engine = ServingEngine.start(model, config(1))) {
            engine.loadAdapter("a", adapterA);
            engine.loadAdapter("b", adapterB);
            for (String id : ids) {
                alone.add(run(engine, request(prompt, id, Sampling.greedy(), 12)));
            }
        }
        assertFalse(java.util.Arrays.equals(alone.get(0), alone.get(1)), "adapter a changes nothing");
        assertFalse(java.util.Arrays.equals(alone.get(0), alone.get(2)), "adapter b changes nothing");
        assertFalse(java.util.Arrays.equals(alone.get(1), alone.get(2)), "adapters a and b give the same tokens");
        try (ServingEngine engine = ServingEngine.start(model, config(ids.length))) {
            engine.loadAdapter("a", adapterA);
            engine.loadAdapter("b", adapterB);
            List<GenerationHandle> handles = new ArrayList<>();
            for (String id : ids) {
                handles.add(engine.submit(request(prompt, id, Sampling.greedy(), 12)));
            }
            for (int i = 0; i < ids.length; i++) {
                assertArrayEquals(alone.get(i), handles.get(i).result().get(60, TimeUnit.SECONDS).tokens(),
                        "row " + i + " (adapter " + ids[i] + ")");
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameSampledTokensAndAnotherSeedOthers() throws Exception {
        int[] prompt = RandomFixtures.prompt(5, 9, vocab);
        try (ServingEngine engine = ServingEngine.start(model, config(4))) {
            int[] first = run(engine, request(prompt, null, new Sampling(1.0, 1.0, 0, 7L), 20));
            int[] again = run(engine, request(prompt, null, new Sampling(1.0, 1.0, 0, 7L), 20));
            int[] other = run(engine, request(prompt, null, new Sampling(1.0, 1.0, 0, 8L), 20));
            assertArrayEquals(first, again);
            assertFalse(java.util.Arrays.equals(first, other));
        }
    }

    @Test
    void aPrefixCacheHitGivesTheTokensOfAColdRun() throws Exception {
        int[] prompt = RandomFixtures.prompt(14, 3, vocab);
        GenerationRequest r = new GenerationRequest(prompt, 9, "a", new Sampling(0.8, 1.0, 0, 5L), 12, null, null);
        try (ServingEngine engine = ServingEngine.start(model, config(2))) {
            engine.loadAdapter("a", adapterA);
            Completion cold = engine.submit(r).result().get(60, TimeUnit.SECONDS);
            Completion warm = engine.submit(r).result().get(60, TimeUnit.SECONDS);
            assertFalse(cold.prefixCacheHit());
            assertTrue(warm.prefixCacheHit());
            assertArrayEquals(cold.tokens(), warm.tokens());
            ServingStats stats = engine.stats();
            assertEquals(1, stats.prefixHits());
            assertEquals(1, stats.prefixMisses());
            assertEquals(1, stats.prefixEntries());
            // Another adapter never reuses a's prefix.
            engine.loadAdapter("b", adapterB);
            Completion otherAdapter = engine.submit(new GenerationRequest(prompt, 9, "b", Sampling.greedy(), 4, null, null))
                    .result().get(60, TimeUnit.SECONDS);
            assertFalse(otherAdapter.prefixCacheHit());
        }
    }

    @Test
    void adaptersLoadedAndUnloadedWhileDecodingCauseNoFailureAndNoCrossTalk() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            requests.add(request(RandomFixtures.prompt(4 + i % 5, 40 + i, vocab), i % 3 == 0 ? null : i % 3 == 1 ? "a" : "b",
                    Sampling.greedy(), 10));
        }
        List<int[]> alone = new ArrayList<>();
        try (ServingEngine engine = ServingEngine.start(model, config(1))) {
            engine.loadAdapter("a", adapterA);
            engine.loadAdapter("b", adapterB);
            for (GenerationRequest r : requests) {
                alone.add(run(engine, r));
            }
        }
        try (ServingEngine engine = ServingEngine.start(model, config(8))) {
            engine.loadAdapter("a", adapterA);
            engine.loadAdapter("b", adapterB);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> churnError = new AtomicReference<>();
            Thread churn = new Thread(() -> {
                try {
                    int n = 0;
                    while (!stop.get()) {
                        engine.loadAdapter("c", n % 2 == 0 ? adapterA : adapterB);   // another id, loaded and dropped
                        engine.loadAdapter("a", adapterA);                            // a new version of a, same weights
                        engine.unloadAdapter("c");
                        n++;
                    }
                } catch (Throwable e) {
                    churnError.set(e);
                }
            });
            churn.start();
            List<GenerationHandle> handles = new ArrayList<>();
            for (GenerationRequest r : requests) {
                handles.add(engine.submit(r));
                Thread.sleep(5);
            }
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(alone.get(i), handles.get(i).result().get(60, TimeUnit.SECONDS).tokens(), "request " + i);
            }
            stop.set(true);
            churn.join();
            assertEquals(null, churnError.get());
            assertTrue(engine.hasAdapter("a"));
            assertFalse(engine.hasAdapter("c"));
        }
    }

    @Test
    void unloadingAnAdapterLetsItsRunningRequestFinishAndRefusesNewOnes() throws Exception {
        try (ServingEngine engine = ServingEngine.start(model, config(2))) {
            engine.loadAdapter("a", adapterA);
            GenerationHandle running = engine.submit(request(RandomFixtures.prompt(5, 1, vocab), "a", Sampling.greedy(), 30));
            engine.unloadAdapter("a");
            assertEquals(30, running.result().get(60, TimeUnit.SECONDS).tokens().length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.submit(request(RandomFixtures.prompt(5, 1, vocab), "a", Sampling.greedy(), 3)));
            assertTrue(e.getMessage().contains("'a' is not loaded"), e.getMessage());
        }
    }

    @Test
    void aTokenConstraintIsAppliedToItsRowOnly() throws Exception {
        int[] wanted = {17, 250, 3, 99, 42};
        int[] prompt = RandomFixtures.prompt(6, 5, vocab);
        try (ServingEngine engine = ServingEngine.start(model, ServingConfig.defaults().withMaxRunningSequences(4))) {
            GenerationHandle free = engine.submit(request(prompt, null, Sampling.greedy(), 8));
            GenerationHandle constrained = engine.submit(new GenerationRequest(prompt, 0, null,
                    new Sampling(1.0, 1.0, 0, 3L), 50, new FixedSequence(wanted), null));
            Completion c = constrained.result().get(60, TimeUnit.SECONDS);
            assertArrayEquals(wanted, c.tokens());
            assertEquals(FinishReason.STOP, c.finishReason());
            assertFalse(java.util.Arrays.equals(wanted, java.util.Arrays.copyOf(free.result().get().tokens(), 5)));
        }
    }

    @Test
    void kvMemoryIsBoundedRequestsWaitAndOneThatCanNeverFitFails() throws Exception {
        long oneSequence = dev.tooltune.model.gemma3.KvCache.bytesFor(model.config(), 26, model.computeType());
        ServingConfig tight = config(8).withKvCacheBytes(oneSequence + oneSequence / 2);   // room for one at a time
        try (ServingEngine engine = ServingEngine.start(model, tight)) {
            List<GenerationHandle> handles = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                handles.add(engine.submit(request(RandomFixtures.prompt(6, i, vocab), null, Sampling.greedy(), 20)));
            }
            int maxRunning = 0;
            while (!handles.get(2).result().isDone()) {
                ServingStats stats = engine.stats();
                maxRunning = Math.max(maxRunning, stats.running());
                assertTrue(stats.kvBytesUsed() <= tight.kvCacheBytes());
                Thread.sleep(1);
            }
            for (GenerationHandle h : handles) {
                assertEquals(20, h.result().get().tokens().length);
            }
            assertTrue(maxRunning <= 1, "ran " + maxRunning + " at once");
            // refused at submit (nothing queued), as a request error the service answers with a 400
            RequestTooLargeException tooBig = assertThrows(RequestTooLargeException.class,
                    () -> engine.submit(request(RandomFixtures.prompt(6, 1, vocab), null, Sampling.greedy(), 200)));
            assertTrue(tooBig.getMessage().contains("more than the whole budget"), tooBig.getMessage());
            assertEquals(0, engine.stats().waiting());
            assertEquals(0, engine.stats().kvBytesUsed());
        }
    }

    @Test
    void cancelFreesTheSlot() throws Exception {
        try (ServingEngine engine = ServingEngine.start(model, config(2))) {
            GenerationHandle h = engine.submit(request(RandomFixtures.prompt(6, 1, vocab), null, Sampling.greedy(), 400));
            Thread.sleep(50);
            h.cancel();
            Completion c = h.result().get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, c.finishReason());
            assertTrue(c.tokens().length < 400);
            assertEquals(0, engine.stats().running());
        }
    }

    /** A toy constraint that allows exactly one token sequence, then is done. */
    static final class FixedSequence implements TokenConstraint {
        private final int[] tokens;
        private int position;

        FixedSequence(int[] tokens) {
            this.tokens = tokens;
        }

        @Override
        public void allowedTokens(long[] mask) {
            java.util.Arrays.fill(mask, 0);
            if (position < tokens.length) {
                mask[tokens[position] >>> 6] |= 1L << (tokens[position] & 63);
            }
        }

        @Override
        public void accept(int token) {
            if (position >= tokens.length || token != tokens[position]) {
                throw new IllegalStateException("token " + token + " not allowed at " + position);
            }
            position++;
        }

        @Override
        public boolean canStop() {
            return position == tokens.length;
        }

        @Override
        public boolean isDone() {
            return position == tokens.length;
        }
    }
}
