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
 * Continuous batching over one base model. A scheduler thread owns the running batch; each turn of its loop
 * <ol>
 *   <li>admits waiting requests while rows and KV budget allow (each gets its own KV cache, or a copy of a cached
 *       prompt prefix), and drops finished or cancelled ones;</li>
 *   <li>runs one <em>prefill step</em>: the next chunk of every admitted prompt that fits in
 *       {@link ServingConfig#prefillChunkTokens()} (several prompts in one forward pass, right-padded; a long prompt
 *       goes chunk by chunk over several turns), each chunk written into its row's cache;</li>
 *   <li>runs one <em>decode step</em>: every row whose prompt is done gets its last token fed in one forward pass.</li>
 * </ol>
 * So a long prompt never stalls running streams for more than one chunk, and a request's memory is its KV cache
 * plus one step's bounded work, never the square of its prompt. Each row has its own adapter ({@link AdapterBatch}),
 * cache, sampler and constraint.
 *
 * <p>KV memory is accounted per sequence: a request reserves its whole cache (prompt + max new tokens) when it is
 * admitted (the cache is allocated then, so the budget is what the caches really take), waits while the budget is
 * taken, and is refused at {@link #submit} when it could never fit ({@link RequestTooLargeException}). Adapters are
 * loaded and unloaded from any thread; a running request keeps the version it started with.
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
    private final Composition prefillComposition = new Composition();
    private final Composition decodeComposition = new Composition();
    private DeviceBatch device;                 // the native decode step's rows, null without the native library
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
    private final AtomicLong prefillSteps = new AtomicLong();
    private final AtomicLong prefillTokens = new AtomicLong();

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
        checkFits(request);
        AdapterRegistry.Loaded adapter = request.adapterId() == null ? null : adapters.acquire(request.adapterId());
        Sequence sequence = new Sequence(request, adapter, System.nanoTime());
        queued.incrementAndGet();
        incoming.add(sequence);
        return sequence;
    }

    /** Refuses at once what could never be admitted, however long it waited. */
    private void checkFits(GenerationRequest request) {
        int promptLength = request.prompt().length;
        if (promptLength >= maxSequenceLength) {
            throw new RequestTooLargeException("prompt of " + promptLength + " tokens leaves no room under the"
                    + " maximum sequence length " + maxSequenceLength, promptLength, maxSequenceLength);
        }
        int capacity = capacityOf(request);
        long need = KvCache.bytesFor(model.config(), capacity, model.computeType());
        if (need > config.kvCacheBytes()) {
            throw new RequestTooLargeException("request needs " + need + " bytes of KV cache (" + capacity
                    + " tokens), more than the whole budget of " + config.kvCacheBytes() + " bytes", promptLength,
                    maxSequenceLength);
        }
    }

    /** Cache slots of a request: its prompt and as many new tokens as it may generate under the maximum length. */
    private int capacityOf(GenerationRequest request) {
        return (int) Math.min(maxSequenceLength, (long) request.prompt().length + request.maxNewTokens());
    }

    public ServingStats stats() {
        return new ServingStats(runningCount, queued.get(), kvBytesSnapshot, config.kvCacheBytes(), prefixEntries,
                prefixBytes, prefixHits, prefixMisses, tokensGenerated.get(), completed.get(), failed.get(),
                decodeSteps.get(), adapters.size(), prefillSteps.get(),
                prefillTokens.get());
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
                if (running.stream().anyMatch(sequence -> !sequence.decoding)) {
                    prefillStep();
                }
                moveToDevice();
                if (running.stream().anyMatch(sequence -> sequence.decoding)) {
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
            prefillComposition.close();
            decodeComposition.close();
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

    /** Admits waiting requests in order while rows and KV budget allow: each gets its cache; prefill steps follow. */
    private void admit() {
        while (!waiting.isEmpty() && running.size() < config.maxRunningSequences()) {
            Sequence s = waiting.peek();
            s.dequeue();
            int capacity = capacityOf(s.request);
            long need = KvCache.bytesFor(model.config(), capacity, model.computeType());
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
                start(s, capacity, need);
            } catch (RuntimeException e) {
                fail(s, e);
            }
        }
    }

    /** Reserves and allocates the cache of {@code s}, from a cached prompt prefix when there is one. */
    private void start(Sequence s, int capacity, long reserved) {
        int[] prompt = s.request.prompt();
        s.reserved = reserved;
        kvBytesUsed += reserved;
        running.add(s);
        // Chunks never cross the shareable prefix's border, so results do not depend on the prefix cache.
        s.border = s.request.cachePrefixLength() < prompt.length ? s.request.cachePrefixLength() : 0;
        if (s.border > 0 && prefixes.enabled()) {
            PrefixCache.Key key = PrefixCache.Key.of(s.adapter == null ? 0 : s.adapter.key, prompt, s.border);
            KvCache cached = prefixes.get(key);
            if (cached != null) {
                s.cache = cached.copy(capacity, root);
                s.prefilled = s.border;
                s.prefixHit = true;
                return;
            }
            s.prefixToStore = key;
        }
        s.cache = new KvCache(model.config(), 1, capacity, model.computeType(), root);
    }

    /**
     * One prefill step: the next chunk of each prefilling row, in admission order, while rows x longest chunk stays
     * within the step's token budget (the first row always runs). A row whose prompt is done samples its first token.
     */
    private void prefillStep() {
        int budget = config.prefillChunkTokens();
        List<Sequence> batch = new ArrayList<>();
        List<int[]> chunks = new ArrayList<>();
        int width = 0;
        for (Sequence s : running) {
            if (s.decoding) {
                continue;
            }
            int[] chunk = s.nextChunk(budget);
            int newWidth = Math.max(width, chunk.length);
            if (!batch.isEmpty() && (long) (batch.size() + 1) * newWidth > budget) {
                break;   // admission order: a later prompt never overtakes an earlier one
            }
            batch.add(s);
            chunks.add(chunk);
            width = newWidth;
        }
        forwardEach(batch, chunks, prefillComposition.deltaFor(batch), prefillSteps, (s, r, logits) -> {
            s.prefilled += chunks.get(r).length;
            prefillTokens.addAndGet(chunks.get(r).length);
            if (s.prefixToStore != null && s.prefilled == s.border) {
                prefixes.put(s.prefixToStore, s.cache.copy(s.border, root));
                s.prefixToStore = null;
            }
            if (s.prefilled == s.request.prompt().length) {
                s.decoding = true;
                acceptSampled(s, logits.get(r + ":" + (r + 1)));
            }
        });
    }

    /** What happens to row {@code r} of a DJL forward: {@code logits} are the whole batch's [B,V]. */
    private interface RowOutcome {
        void apply(Sequence s, int r, NDArray logits);
    }

    /**
     * One DJL forward of {@code batch} (one input chunk per row), then {@code outcome} for each row: a row whose outcome
     * throws ends alone, a forward that throws ends every row of the batch.
     */
    private void forwardEach(List<Sequence> batch, List<int[]> inputs, AdapterBatch delta, AtomicLong steps,
            RowOutcome outcome) {
        try (NDManager scope = root.newSubManager()) {
            NDArray logits = forwardIn(scope, batch, inputs, delta);                            // [B,V]
            steps.incrementAndGet();
            for (int r = 0; r < batch.size(); r++) {
                Sequence s = batch.get(r);
                try {
                    outcome.apply(s, r, logits);
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

    /**
     * Hands newly prefilled rows to the device batch (their prompt's KV copied into a slot, the DJL cache freed):
     * from then on they decode in the native step. Rows that do not fit a slot stay on the DJL path.
     */
    private void moveToDevice() {
        if (device == null) {
            return;
        }
        for (Sequence s : running) {
            if (s.decoding && s.slot < 0 && s.cache != null && device.accepts(s.cache.capacity())) {
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
        List<int[]> last = new ArrayList<>();
        List<Sequence> onDevice = new ArrayList<>();
        for (Sequence s : running) {
            if (!s.decoding) {
                continue;
            }
            if (s.slot >= 0) {
                onDevice.add(s);
            } else {
                batch.add(s);
                last.add(new int[] {s.lastToken});
            }
        }
        if (!onDevice.isEmpty()) {
            deviceStep(onDevice);
        }
        if (batch.isEmpty()) {
            return;
        }
        forwardEach(batch, last, decodeComposition.deltaFor(batch), decodeSteps,
                (s, r, logits) -> acceptSampled(s, logits.get(r + ":" + (r + 1))));
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

    /**
     * Runs each row's {@code tokens} (a prefill chunk, or its last token in a decode step) after what its cache holds,
     * rows right-padded to the longest. Returns logits [B,V] of each row's last token, fp32.
     */
    private NDArray forwardIn(NDManager scope, List<Sequence> rows, List<int[]> tokens, AdapterBatch delta) {
        int b = rows.size();
        int t = tokens.stream().mapToInt(chunk -> chunk.length).max().orElseThrow();
        long[] ids = new long[b * t];
        long[] positions = new long[b * t];
        int[] lengths = new int[b];
        List<KvCache> caches = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            KvCache cache = rows.get(r).cache;
            int[] chunk = tokens.get(r);
            for (int j = 0; j < t; j++) {
                ids[r * t + j] = j < chunk.length ? chunk[j] : model.config().padTokenId();
                positions[r * t + j] = cache.length() + j;
            }
            lengths[r] = chunk.length;
            caches.add(cache);
        }
        ModelInput input = ModelInput.of(scope.create(ids).reshape(b, t), scope.create(positions).reshape(b, t))
                .withRowCaches(caches, t == 1 ? null : lengths);
        if (delta != null) {
            input = input.withDelta(delta);
        }
        NDArray logits = model.lastLogits(input);
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /**
     * The per-row LoRA of a batch, kept while the rows' adapters stay the same (prefill and decode steps each keep
     * their own, so alternating steps do not rebuild the stacks).
     */
    private final class Composition {
        private List<AdapterRegistry.Loaded> rows = List.of();
        private AdapterBatch batch;

        AdapterBatch deltaFor(List<Sequence> sequences) {
            List<AdapterRegistry.Loaded> adapters = new ArrayList<>(sequences.size());
            for (Sequence s : sequences) {
                adapters.add(s.adapter);
            }
            if (adapters.stream().allMatch(a -> a == null)) {
                return null;
            }
            if (adapters.stream().allMatch(a -> a == adapters.get(0))) {
                return adapters.get(0).uniform;
            }
            if (!sameIdentities(adapters, rows)) {
                close();
                List<LoraAdapter> loras = new ArrayList<>(adapters.size());
                for (AdapterRegistry.Loaded a : adapters) {
                    loras.add(a == null ? null : a.adapter);
                }
                batch = new AdapterBatch(loras, root, model.computeType());
                rows = adapters;
            }
            return batch;
        }

        void close() {
            if (batch != null) {
                batch.close();
                batch = null;
            }
            rows = List.of();
        }
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
        int border;                      // end of the shareable prefix (0 = none): no chunk crosses it
        PrefixCache.Key prefixToStore;   // set when the prefix missed: cached once prefilled up to the border
        int prefilled;                   // prompt tokens in the cache
        boolean decoding;                // the prompt is done: decode steps feed lastToken
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

        /** The prompt tokens of the next prefill chunk: up to {@code chunk}, never across the prefix border. */
        int[] nextChunk(int chunk) {
            int end = prefilled < border ? border : request.prompt().length;
            return Arrays.copyOfRange(request.prompt(), prefilled, prefilled + Math.min(chunk, end - prefilled));
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
