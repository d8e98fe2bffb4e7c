package dev.tooltune.model.serving;

import dev.tooltune.model.fixtures.RandomFixtures;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prefill in chunks, several prompts per step, interleaved with decode steps; and what admission refuses. */
class ChunkedPrefillTest {
    static Gemma3Model model;
    static int vocab;

    @BeforeAll
    static void build() {
        model = TestModels.model(TestModels.config(), 23);
        vocab = model.config().vocabSize();
    }

    @AfterAll
    static void release() {
        model.close();
    }

    static ServingConfig config(int running, int chunk) {
        return ServingConfig.defaults().withMaxRunningSequences(running).withStopTokens(Set.of()).withPrefillChunkTokens(chunk);
    }

    @Test
    void aPromptPrefilledInChunksGivesTheTokensOfOneWholePrefill() throws Exception {
        int[] prompt = RandomFixtures.prompt(150, 4, vocab);
        int[] whole;
        try (ServingEngine engine = ServingEngine.start(model, config(1, 512))) {
            whole = engine.submit(GenerationRequest.greedy(prompt, 16)).result().get(60, TimeUnit.SECONDS).tokens();
            assertEquals(1, engine.stats().prefillSteps());
        }
        try (ServingEngine engine = ServingEngine.start(model, config(1, 7))) {
            int[] chunked = engine.submit(GenerationRequest.greedy(prompt, 16)).result().get(60, TimeUnit.SECONDS).tokens();
            assertArrayEquals(whole, chunked);
            assertEquals((150 + 6) / 7, engine.stats().prefillSteps());   // across the sliding window (4) many times
            assertEquals(150, engine.stats().prefillTokens());
        }
    }

    @Test
    void promptsWaitingTogetherArePrefilledInOneStepAndEachGetsWhatItGetsAlone() throws Exception {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            prompts.add(RandomFixtures.prompt(5 + 7 * i, 30 + i, vocab));   // 5, 12, 19, 26 tokens: padded to 26
        }
        List<int[]> alone = new ArrayList<>();
        try (ServingEngine engine = ServingEngine.start(model, config(1, 512))) {
            for (int[] p : prompts) {
                alone.add(engine.submit(GenerationRequest.greedy(p, 10)).result().get(60, TimeUnit.SECONDS).tokens());
            }
        }
        try (ServingEngine engine = ServingEngine.start(model, config(5, 512))) {
            // the scheduler is held inside the first request's first token while the four are submitted, so they
            // wait together and are admitted in the same turn
            CountDownLatch submitted = new CountDownLatch(1);
            GenerationHandle blocker = engine.submit(new GenerationRequest(RandomFixtures.prompt(3, 1, vocab), 0, null,
                    Sampling.greedy(), 2, null, token -> {
                        try {
                            return submitted.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }));
            while (engine.stats().prefillSteps() == 0) {
                Thread.sleep(1);
            }
            List<GenerationHandle> handles = new ArrayList<>();
            for (int[] p : prompts) {
                handles.add(engine.submit(GenerationRequest.greedy(p, 10)));
            }
            submitted.countDown();
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(alone.get(i), handles.get(i).result().get(60, TimeUnit.SECONDS).tokens(), "prompt " + i);
            }
            blocker.result().get(60, TimeUnit.SECONDS);
            assertEquals(2, engine.stats().prefillSteps(), "the four prompts were not prefilled in one forward pass");
        }
    }

    @Test
    void aRunningStreamKeepsDecodingWhileALongPromptIsPrefilled() throws Exception {
        AtomicInteger streamed = new AtomicInteger();
        try (ServingEngine engine = ServingEngine.start(model, config(2, 8))) {
            GenerationHandle stream = engine.submit(new GenerationRequest(RandomFixtures.prompt(4, 2, vocab), 0, null,
                    Sampling.greedy(), 400, null, token -> streamed.incrementAndGet() > 0));
            while (streamed.get() < 3) {
                Thread.sleep(1);
            }
            int before = streamed.get();
            AtomicInteger streamedAtFirstToken = new AtomicInteger(-1);
            GenerationHandle longPrompt = engine.submit(new GenerationRequest(RandomFixtures.prompt(400, 3, vocab), 0, null,
                    Sampling.greedy(), 2, null, token -> {
                        streamedAtFirstToken.compareAndSet(-1, streamed.get());
                        return true;
                    }));
            longPrompt.result().get(60, TimeUnit.SECONDS);
            stream.cancel();
            // 400 tokens in chunks of 8 = 50 prefill steps, each followed by a decode step of the running stream
            int during = streamedAtFirstToken.get() - before;
            assertTrue(during >= 45, "the running stream got " + during + " tokens during a 50-chunk prefill");
        }
    }

    @Test
    void aPromptWithNoRoomUnderTheMaximumLengthIsRefusedAtSubmit() {
        try (ServingEngine engine = ServingEngine.start(model, config(2, 64).withMaxSequenceLength(100))) {
            RequestTooLargeException e = assertThrows(RequestTooLargeException.class,
                    () -> engine.submit(GenerationRequest.greedy(RandomFixtures.prompt(100, 1, vocab), 4)));
            assertTrue(e.getMessage().contains("prompt of 100 tokens leaves no room under the maximum sequence length 100"),
                    e.getMessage());
            assertEquals(100, e.promptTokens());
            assertEquals(100, e.limitTokens());
            assertEquals(0, engine.stats().waiting());
            // one token of room is enough: the request is cut at the maximum length
            assertEquals(FinishReason.LENGTH, engine.submit(GenerationRequest.greedy(RandomFixtures.prompt(99, 1, vocab), 4))
                    .result().join().finishReason());
        }
    }
}
