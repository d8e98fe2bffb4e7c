package dev.tooltune.model.serving;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.KvCache;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.generation.Sampler;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.lora.AdapterBatch;
import dev.tooltune.model.lora.LoraAdapter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous batching over one base model. A scheduler thread owns the running batch: between decode steps it
 * admits waiting requests (prefilling each into its own KV cache, reusing a cached prompt prefix when there is one)
 * and drops finished or cancelled ones; each decode step feeds every running row its last token in one forward
 * pass, each row with its own adapter ({@link AdapterBatch}), its own cache, its own sampler and constraint.
 *
 * <p>KV memory is accounted per sequence: a request reserves its whole cache (prompt + max new tokens) when it is
 * admitted, waits while the budget is taken, and fails at once when it could never fit. Adapters are loaded and
 * unloaded from any thread; a running request keeps the version it started with.
 */
public final class ServingEngine implements AutoCloseable {

    private final Gemma3Model model;
    private final ServingConfig config;
    private final int maxSequenceLength;
    private final AdapterRegistry adapters;
    private final LinkedBlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final Thread scheduler;
    private volatile boolean closed;

    // Scheduler-thread state.
    private final NDManager root;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final PrefixCache prefixes;
    private DeviceBatch device;                 // the native decode step's rows, null without the native library
    private List<AdapterRegistry.Loaded> composition = List.of();
    private AdapterBatch compositionBatch;
    private long kvBytesUsed;

    // Counters read by stats() from any thread.
    private volatile int runningCount;
    private volatile long kvBytesSnapshot;
    private volatile int prefixEntries;
    private volatile long prefixBytes;
    private volatile long prefixHits;
    private volatile long prefixMisses;
    private final AtomicLong tokensGenerated = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong decodeSteps = new AtomicLong();

    private ServingEngine(Gemma3Model model, ServingConfig config) {
        this.model = model;
        this.config = config;
        int modelMax = model.config().maxPositionEmbeddings();
        this.maxSequenceLength = config.maxSequenceLength() == 0 ? modelMax : Math.min(config.maxSequenceLength(), modelMax);
        this.adapters = new AdapterRegistry(model);
        this.root = model.manager().newSubManager();
        this.prefixes = new PrefixCache(config.prefixCacheBytes());
        this.scheduler = new Thread(this::run, "serving-scheduler");
        this.scheduler.setDaemon(true);
    }

    /** Starts the scheduler thread over {@code model} (which the caller keeps and closes after this engine). */
    public static ServingEngine start(Gemma3Model model, ServingConfig config) {
        ServingEngine engine = new ServingEngine(model, config);
        engine.scheduler.start();
        return engine;
    }

    public Gemma3Model model() {
        return model;
    }

    public ServingConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- adapters

    /** Loads a PEFT directory (adapter_config.json + adapter_model.safetensors) as {@code adapterId}; replaces an older version. */
    public void loadAdapter(String adapterId, Path peftDirectory) {
        adapters.load(adapterId, peftDirectory);
    }

    /** New requests can no longer use it; requests already running on it finish first, then it is freed. */
    public void unloadAdapter(String adapterId) {
        adapters.unload(adapterId);
    }

    public boolean hasAdapter(String adapterId) {
        return adapters.contains(adapterId);
    }

    // ---------------------------------------------------------------- requests

    /**
     * Queues a request and returns at once. Throws {@link IllegalArgumentException} for an unknown adapter,
     * {@link RejectedExecutionException} when the waiting queue is full or the engine is closed.
     */
    public GenerationHandle submit(GenerationRequest request) {
        if (closed) {
            throw new RejectedExecutionException("serving engine is closed");
        }
        if (queued.get() >= config.maxWaitingRequests()) {
            throw new RejectedExecutionException("serving queue is full (" + config.maxWaitingRequests() + " waiting)");
        }
        int vocab = model.config().vocabSize();
        for (int i = 0; i < request.prompt().length; i++) {
            int token = request.prompt()[i];
            if (token < 0 || token >= vocab) {
                throw new IllegalArgumentException("prompt token " + i + " = " + token + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        AdapterRegistry.Loaded adapter = request.adapterId() == null ? null : adapters.acquire(request.adapterId());
        Sequence sequence = new Sequence(request, adapter, System.nanoTime());
        queued.incrementAndGet();
        incoming.add(sequence);
        return sequence;
    }

    public ServingStats stats() {
        return new ServingStats(runningCount, queued.get(), kvBytesSnapshot, config.kvCacheBytes(), prefixEntries,
                prefixBytes, prefixHits, prefixMisses, tokensGenerated.get(), completed.get(), failed.get(),
                decodeSteps.get(), adapters.size());
    }

    /** Bytes of KV cache one sequence of {@code tokens} tokens (prompt + generated) reserves. */
    public long kvBytesPerSequence(int tokens) {
        return KvCache.bytesFor(model.config(), tokens, model.computeType());
    }

    /** Cancels what is waiting or running, stops the scheduler and frees caches and adapters (not the model). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.interrupt();
        try {
            scheduler.join(TimeUnit.MINUTES.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        adapters.closeAll();
    }

    // ---------------------------------------------------------------- the scheduler

    private void run() {
        try {
            if (model.bf16Weights()) {
                Kernels.autocast(true);   // the DJL path's products in bf16 on this thread, as the weights are
            }
            device = DeviceBatch.create(model, config, maxSequenceLength);
            while (!closed) {
                Sequence next = running.isEmpty() && waiting.isEmpty() ? incoming.poll(100, TimeUnit.MILLISECONDS) : incoming.poll();
                if (next != null) {
                    waiting.add(next);
                    incoming.drainTo(waiting);
                }
                dropCancelled();
                admit();
                moveToDevice();
                if (!running.isEmpty()) {
                    decodeStep();
                }
                publishStats();
            }
        } catch (InterruptedException e) {
            // closing
        } catch (Throwable e) {
            closed = true;   // no scheduler any more: refuse new requests instead of queueing them forever
            for (Sequence s : new ArrayList<>(running)) {
                fail(s, e);
            }
            for (Sequence s : waiting) {
                fail(s, e);
            }
            throw e;
        } finally {
            incoming.drainTo(waiting);
            for (Sequence s : new ArrayList<>(running)) {
                finish(s, FinishReason.CANCELLED, null);
            }
            for (Sequence s : waiting) {
                s.release();
                s.complete(FinishReason.CANCELLED, null);
            }
            waiting.clear();
            closeComposition();
            if (device != null) {
                device.close();
            }
            prefixes.close();
            root.close();
        }
    }

    private void dropCancelled() {
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.cancelled) {
                it.remove();
                s.release();
                s.complete(FinishReason.CANCELLED, null);
            }
        }
        for (Sequence s : new ArrayList<>(running)) {
            if (s.cancelled) {
                finish(s, FinishReason.CANCELLED, null);
            }
        }
    }

    /** Admits waiting requests in order while rows and KV budget allow; each is prefilled and gets its first token. */
    private void admit() {
        while (!waiting.isEmpty() && running.size() < config.maxRunningSequences()) {
            Sequence s = waiting.peek();
            s.dequeue();
            int promptLength = s.request.prompt().length;
            if (promptLength >= maxSequenceLength) {
                waiting.poll();
                fail(s, new IllegalArgumentException("prompt of " + promptLength + " tokens leaves no room under the"
                        + " maximum sequence length " + maxSequenceLength));
                continue;
            }
            int capacity = Math.min(maxSequenceLength, promptLength + s.request.maxNewTokens());
            long need = KvCache.bytesFor(model.config(), capacity, model.computeType());
            if (need > config.kvCacheBytes()) {
                waiting.poll();
                fail(s, new IllegalArgumentException("request needs " + need + " bytes of KV cache (" + capacity
                        + " tokens), more than the whole budget of " + config.kvCacheBytes() + " bytes"));
                continue;
            }
            if (kvBytesUsed + need > config.kvCacheBytes()) {
                s.requeue();
                return;   // waits for running sequences to finish
            }
            waiting.poll();
            if (s.adapter != null && s.adapter.closed) {
                fail(s, new IllegalStateException("adapter '" + s.adapter.id + "' was freed before the request started"));
                continue;
            }
            try {
                prefill(s, capacity, need);
            } catch (RuntimeException e) {
                fail(s, e);
            }
        }
    }

    private void prefill(Sequence s, int capacity, long reserved) {
        int[] prompt = s.request.prompt();
        long adapterKey = s.adapter == null ? 0 : s.adapter.key;
        AdapterBatch delta = s.adapter == null ? null : s.adapter.uniform;
        s.reserved = reserved;
        kvBytesUsed += reserved;
        running.add(s);
        int border = s.request.cachePrefixLength() < prompt.length ? s.request.cachePrefixLength() : 0;
        int done = 0;
        if (border > 0 && prefixes.enabled()) {
            PrefixCache.Key key = PrefixCache.Key.of(adapterKey, prompt, border);
            KvCache cached = prefixes.get(key);
            if (cached != null) {
                s.cache = cached.copy(capacity, root);
                s.prefixHit = true;
            } else {
                s.cache = new KvCache(model.config(), 1, capacity, model.computeType(), root);
                forward(List.of(s), Arrays.copyOfRange(prompt, 0, border), 0, delta);
                prefixes.put(key, s.cache.copy(border, root));
            }
            done = border;
        } else {
            s.cache = new KvCache(model.config(), 1, capacity, model.computeType(), root);
            if (border > 0) {   // same chunking as with the prefix cache on, so results do not depend on it
                forward(List.of(s), Arrays.copyOfRange(prompt, 0, border), 0, delta);
                done = border;
            }
        }
        try (NDManager scope = root.newSubManager()) {
            NDArray logits = forwardIn(scope, List.of(s), Arrays.copyOfRange(prompt, done, prompt.length), done, delta);
            acceptSampled(s, logits);
        }
    }

    /**
     * Hands newly prefilled rows to the device batch (their prompt's KV copied into a slot, the DJL cache freed):
     * from then on they decode in the native step. Rows that do not fit a slot stay on the DJL path.
     */
    private void moveToDevice() {
        if (device == null) {
            return;
        }
        for (Sequence s : running) {
            if (s.slot < 0 && s.cache != null && device.accepts(s.cache.capacity())) {
                s.slot = device.admit(s.cache, s.adapter == null ? null : s.adapter.adapter);
                s.slotLength = s.cache.length();
                s.slotCapacity = s.cache.capacity();
                s.cache.close();
                s.cache = null;
            }
        }
    }

    /** One decode step of every running row: the device's rows in one native step, the others through DJL. */
    private void decodeStep() {
        List<Sequence> batch = new ArrayList<>();
        List<Sequence> onDevice = new ArrayList<>();
        for (Sequence s : running) {
            (s.slot >= 0 ? onDevice : batch).add(s);
        }
        if (!onDevice.isEmpty()) {
            deviceStep(onDevice);
        }
        if (batch.isEmpty()) {
            return;
        }
        int[] last = new int[batch.size()];
        for (int r = 0; r < batch.size(); r++) {
            last[r] = batch.get(r).lastToken;
        }
        AdapterBatch delta = deltaFor(batch);
        try (NDManager scope = root.newSubManager()) {
            NDArray logits = forwardIn(scope, batch, last, -1, delta);                         // [B,V]
            decodeSteps.incrementAndGet();
            for (int r = 0; r < batch.size(); r++) {
                Sequence s = batch.get(r);
                try {
                    acceptSampled(s, logits.get(r + ":" + (r + 1)));
                } catch (RuntimeException e) {
                    fail(s, e);
                }
            }
        } catch (RuntimeException e) {
            for (Sequence s : batch) {
                if (running.contains(s)) {
                    fail(s, e);
                }
            }
        }
    }

    private void deviceStep(List<Sequence> candidates) {
        List<Sequence> rows = new ArrayList<>(candidates.size());
        List<DeviceBatch.Row> inputs = new ArrayList<>(candidates.size());
        for (Sequence s : candidates) {
            try {
                TokenConstraint constraint = s.request.constraint();
                long[] words = constraint == null ? null : allowedWords(s, constraint, model.config().vocabSize());
                float draw = s.request.sampling().isGreedy() ? 0f : s.sampler.nextDraw();
                inputs.add(new DeviceBatch.Row(s.slot, s.lastToken, s.slotLength, s.request.sampling(), words, draw));
                rows.add(s);
            } catch (RuntimeException e) {
                fail(s, e);   // its constraint allows nothing: this row ends, the others step
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        long[] tokens;
        try {
            tokens = device.step(inputs);
        } catch (RuntimeException e) {
            rows.forEach(s -> fail(s, e));
            return;
        }
        decodeSteps.incrementAndGet();
        for (int r = 0; r < rows.size(); r++) {
            Sequence s = rows.get(r);
            s.slotLength++;
            try {
                acceptToken(s, (int) tokens[r]);
            } catch (RuntimeException e) {
                fail(s, e);
            }
        }
    }

    /** Prefill of a chunk whose logits nobody reads (the prefix). */
    private void forward(List<Sequence> rows, int[] tokens, int start, AdapterBatch delta) {
        try (NDManager scope = root.newSubManager()) {
            forwardIn(scope, rows, tokens, start, delta);
        }
    }

    /**
     * Runs {@code tokens} through the model. One row: the T tokens follow the row's cache from index {@code start};
     * several rows ({@code start} = -1): one token per row at the row's own position. Returns logits [B,V] of each
     * row's last position, fp32.
     */
    private NDArray forwardIn(NDManager scope, List<Sequence> rows, int[] tokens, int start, AdapterBatch delta) {
        int b = rows.size();
        int t = b == 1 ? tokens.length : 1;
        long[] ids = new long[b * t];
        long[] positions = new long[b * t];
        List<KvCache> caches = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            Sequence s = rows.get(r);
            int from = s.cache.length();
            for (int j = 0; j < t; j++) {
                ids[r * t + j] = tokens[r * t + j];
                positions[r * t + j] = from + j;
            }
            caches.add(s.cache);
        }
        ModelInput input = ModelInput.of(scope.create(ids).reshape(b, t), scope.create(positions).reshape(b, t))
                .withRowCaches(caches);
        if (delta != null) {
            input = input.withDelta(delta);
        }
        NDArray logits = model.lastLogits(input);
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /** The per-row LoRA of this batch; rebuilt only when the rows' adapters change. */
    private AdapterBatch deltaFor(List<Sequence> batch) {
        List<AdapterRegistry.Loaded> rows = new ArrayList<>(batch.size());
        for (Sequence s : batch) {
            rows.add(s.adapter);
        }
        if (rows.stream().allMatch(a -> a == null)) {
            return null;
        }
        if (rows.stream().allMatch(a -> a == rows.get(0))) {
            return rows.get(0).uniform;
        }
        if (!sameIdentities(rows, composition)) {
            closeComposition();
            List<LoraAdapter> loras = new ArrayList<>(rows.size());
            for (AdapterRegistry.Loaded a : rows) {
                loras.add(a == null ? null : a.adapter);
            }
            compositionBatch = new AdapterBatch(loras, root, model.computeType());
            composition = rows;
        }
        return compositionBatch;
    }

    private static boolean sameIdentities(List<AdapterRegistry.Loaded> a, List<AdapterRegistry.Loaded> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    private void closeComposition() {
        if (compositionBatch != null) {
            compositionBatch.close();
            compositionBatch = null;
        }
        composition = List.of();
    }

    /** Masks (constraint), samples and accepts one token for {@code s} from its logits [1,V]. */
    private void acceptSampled(Sequence s, NDArray logits) {
        TokenConstraint constraint = s.request.constraint();
        if (constraint != null) {
            logits = constrain(logits, allowedWords(s, constraint, Math.toIntExact(logits.getShape().get(1))));
        }
        acceptToken(s, (int) s.sampler.next(logits)[0]);
    }

    /** Accepts {@code token} as {@code s}'s next (picked under its constraint and sampler); finishes s when it ends. */
    private void acceptToken(Sequence s, int token) {
        TokenConstraint constraint = s.request.constraint();
        if (s.firstTokenNanos == 0) {
            s.firstTokenNanos = System.nanoTime();
        }
        tokensGenerated.incrementAndGet();
        if (config.stopTokenIds().contains(token)) {
            finish(s, FinishReason.STOP, token);
            return;
        }
        if (constraint != null) {
            constraint.accept(token);
        }
        s.append(token);
        boolean more = s.request.sink() == null || s.request.sink().onToken(token);
        if (!more || (constraint != null && constraint.isDone())) {
            finish(s, FinishReason.STOP, null);
        } else if (s.length == s.request.maxNewTokens() || s.cachedTokens() + 1 > s.cacheCapacity()) {
            finish(s, FinishReason.LENGTH, null);
        }
    }

    /**
     * The tokens {@code s}'s constraint allows next as a bitset (bit t = token t), given the tokens s may still
     * generate (so that what it opened can close in time); stop tokens allowed exactly where it may stop.
     */
    private long[] allowedWords(Sequence s, TokenConstraint constraint, int vocab) {
        int tokensLeft = Math.min(s.request.maxNewTokens() - s.length, s.cacheCapacity() - s.cachedTokens());
        long[] words = new long[(vocab + 63) >>> 6];
        constraint.allowedTokens(words, tokensLeft);
        boolean canStop = constraint.canStop();
        for (int stop : config.stopTokenIds()) {
            if (stop < vocab) {
                if (canStop) {
                    words[stop >>> 6] |= 1L << (stop & 63);
                } else {
                    words[stop >>> 6] &= ~(1L << (stop & 63));
                }
            }
        }
        boolean any = false;
        for (int t = 0; t < vocab; t++) {
            any |= (words[t >>> 6] & (1L << (t & 63))) != 0;
        }
        if (!any) {
            throw new IllegalStateException("the token constraint allows no token at all after "
                    + "the output so far; generation cannot continue");
        }
        return words;
    }

    /** Logits with every token outside {@code words} at -inf. */
    private NDArray constrain(NDArray logits, long[] words) {
        int vocab = Math.toIntExact(logits.getShape().get(1));
        boolean[] allowed = new boolean[vocab];
        for (int t = 0; t < vocab; t++) {
            allowed[t] = (words[t >>> 6] & (1L << (t & 63))) != 0;
        }
        NDManager scope = logits.getManager();
        NDArray mask = scope.create(allowed).reshape(logits.getShape());
        return NDArrays.where(mask, logits, scope.create(Float.NEGATIVE_INFINITY));
    }

    private void finish(Sequence s, FinishReason reason, Integer stopToken) {
        free(s);
        completed.incrementAndGet();
        publishStats();
        s.complete(reason, stopToken);
    }

    private void fail(Sequence s, Throwable error) {
        free(s);
        failed.incrementAndGet();
        publishStats();
        s.result.completeExceptionally(error);
    }

    private void free(Sequence s) {
        if (running.remove(s)) {
            kvBytesUsed -= s.reserved;
        }
        if (s.slot >= 0) {
            device.release(s.slot);
            s.slot = -1;
        }
        if (s.cache != null) {
            s.cache.close();
            s.cache = null;
        }
        AdapterRegistry.Loaded adapter = s.adapter;
        s.release();
        if (adapter != null && adapter.closed) {
            prefixes.removeAdapter(adapter.key);
        }
    }

    private void publishStats() {
        runningCount = running.size();
        kvBytesSnapshot = kvBytesUsed;
        prefixEntries = prefixes.size();
        prefixBytes = prefixes.bytes();
        prefixHits = prefixes.hits();
        prefixMisses = prefixes.misses();
    }

    /** One request's state; everything but {@code cancelled} is touched by the scheduler thread only. */
    private final class Sequence implements GenerationHandle {
        final GenerationRequest request;
        final CompletableFuture<Completion> result = new CompletableFuture<>();
        final Sampler sampler;
        final long submittedNanos;
        AdapterRegistry.Loaded adapter;
        volatile boolean cancelled;
        boolean dequeued;
        KvCache cache;
        int slot = -1;            // the device batch's slot once prefilled there, else -1 (the DJL cache decodes)
        int slotLength;           // tokens in the slot
        int slotCapacity;
        long reserved;
        int[] tokens = new int[16];
        int length;
        int lastToken;
        long firstTokenNanos;
        boolean prefixHit;

        Sequence(GenerationRequest request, AdapterRegistry.Loaded adapter, long submittedNanos) {
            this.request = request;
            this.adapter = adapter;
            this.submittedNanos = submittedNanos;
            Sampling sampling = request.sampling();
            long seed = sampling.seed() != null ? sampling.seed() : ThreadLocalRandom.current().nextLong();
            this.sampler = Sampler.of(sampling.temperature(), sampling.topK(), sampling.topP(), seed);
        }

        int cachedTokens() {
            return slot >= 0 ? slotLength : cache.length();
        }

        int cacheCapacity() {
            return slot >= 0 ? slotCapacity : cache.capacity();
        }

        void append(int token) {
            if (length == tokens.length) {
                tokens = Arrays.copyOf(tokens, length * 2);
            }
            tokens[length++] = token;
            lastToken = token;
        }

        /** No longer counted as waiting. */
        void dequeue() {
            if (!dequeued) {
                dequeued = true;
                queued.decrementAndGet();
            }
        }

        void requeue() {
            if (dequeued) {
                dequeued = false;
                queued.incrementAndGet();
            }
        }

        void release() {
            dequeue();
            if (adapter != null) {
                adapters.release(adapter);
                adapter = null;
            }
        }

        void complete(FinishReason reason, Integer stopToken) {
            long ttft = firstTokenNanos == 0 ? 0 : firstTokenNanos - submittedNanos;
            result.complete(new Completion(Arrays.copyOf(tokens, length), reason, stopToken, request.prompt().length,
                    ttft, prefixHit));
        }

        @Override
        public CompletableFuture<Completion> result() {
            return result;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
