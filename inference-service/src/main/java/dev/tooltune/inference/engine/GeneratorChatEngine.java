package dev.tooltune.inference.engine;

import ai.djl.ndarray.NDArray;
import dev.tooltune.chat.constraint.TokenConstraint;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.chat.toolcall.ParsedAssistantMessage;
import dev.tooltune.chat.toolcall.ToolCallParser;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.generation.GenerationOptions;
import dev.tooltune.model.generation.GenerationResult;
import dev.tooltune.model.generation.Generator;
import dev.tooltune.model.generation.LogitsHook;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.PeftAdapterFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The engine on today's model-core: one worker thread owns the model and runs generations one at a time, attaching
 * the request's LoRA adapter to the model's projection slots for that generation and detaching it after. Loading and
 * unloading adapters are tasks on the same thread, so they never race a generation; a request keeps the adapter id
 * (one version) it was submitted with.
 *
 * <p>It is the stand-in for model-core's continuous-batching {@code ServingEngine} (branch serving-engine): same
 * contract, no batching. Swapping it for the serving engine changes nothing above {@link ChatEngineBackend}.
 */
public final class GeneratorChatEngine implements ChatEngineBackend {
    private static final Logger LOG = Logger.getLogger(GeneratorChatEngine.class);

    private final Gemma3Model model;
    private final GemmaTokenizer tokenizer;
    private final Set<Integer> stopTokens;
    private final GemmaChatFormat format = new GemmaChatFormat();
    private final ToolCallParser parser = new ToolCallParser();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inference-engine");
        thread.setDaemon(true);
        return thread;
    });
    /** Loaded adapters by id; touched only on the worker thread. */
    private final Map<String, LoraAdapter> adapters = new HashMap<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();

    public GeneratorChatEngine(Gemma3Model model, GemmaTokenizer tokenizer, Set<Integer> stopTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopTokens = Set.copyOf(stopTokens);
    }

    @Override
    public ChatHandle submit(ChatCall call, ChatStreamListener listener) {
        Job job = new Job(call, listener);
        queued.incrementAndGet();
        try {
            worker.execute(() -> {
                queued.decrementAndGet();
                run(job);
            });
        } catch (RuntimeException rejected) {
            queued.decrementAndGet();
            job.result.completeExceptionally(new IllegalStateException("the engine is shut down", rejected));
        }
        return job;
    }

    @Override
    public void loadAdapter(String adapterId, Path directory) {
        onWorker(() -> {
            if (!adapters.containsKey(adapterId)) {
                adapters.put(adapterId, PeftAdapterFiles.load(directory, model.manager(),
                        new ArrayList<>(model.projections().values())));
            }
        });
    }

    @Override
    public void unloadAdapter(String adapterId) {
        onWorker(() -> {
            LoraAdapter adapter = adapters.remove(adapterId);
            if (adapter != null) {
                adapter.close();
            }
        });
    }

    @Override
    public int queued() {
        return queued.get();
    }

    @Override
    public int running() {
        return running.get();
    }

    @Override
    public int vocabSize() {
        return model.config().vocabSize();
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        adapters.values().forEach(LoraAdapter::close);
        adapters.clear();
        model.close();
    }

    private void onWorker(Runnable task) {
        try {
            worker.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    private void run(Job job) {
        if (job.cancelled) {
            job.result.complete(cancelled(0));
            return;
        }
        running.incrementAndGet();
        LoraAdapter adapter = null;
        try {
            ChatCall call = job.call;
            if (call.adapterId() != null) {
                adapter = adapters.get(call.adapterId());
                if (adapter == null) {
                    throw new IllegalStateException("adapter " + call.adapterId() + " is not loaded");
                }
                adapter.attach();
            }
            job.result.complete(generate(job));
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "generation failed");
            job.result.completeExceptionally(e);
        } finally {
            if (adapter != null) {
                adapter.detach();
            }
            running.decrementAndGet();
        }
    }

    /** Thrown from the token listener to end a generation early (cancel, stop string, constraint done). */
    private static final class EndGeneration extends RuntimeException {
        final boolean cancelled;

        EndGeneration(boolean cancelled) {
            super(null, null, false, false);
            this.cancelled = cancelled;
        }
    }

    private ChatOutcome generate(Job job) {
        ChatCall call = job.call;
        boolean parseCalls = !call.tools().isEmpty();
        int[] prompt = format.tokenizePrompt(call.messages(), call.tools(), call.parallelToolCalls(), tokenizer);
        OutputStreamer streamer = new OutputStreamer(job.listener, call.stop(), parseCalls);
        List<Integer> tokens = new ArrayList<>();
        String[] text = {""};
        boolean[] stoppedByString = {false};
        long start = System.nanoTime();
        long[] firstToken = {0};
        TokenConstraint constraint = call.constraint();

        GenerationOptions options = GenerationOptions.greedy(call.maxNewTokens())
                .withStopTokens(stopTokens)
                .withSampling(call.sampling().temperature(), 0, call.sampling().topP(), call.sampling().seed())
                .withListener((row, token) -> {
                    if (firstToken[0] == 0) {
                        firstToken[0] = System.nanoTime() - start;
                        job.listener.onFirstToken();
                    }
                    if (job.cancelled) {
                        throw new EndGeneration(true);
                    }
                    if (constraint != null) {
                        constraint.accept(token);
                    }
                    tokens.add(token);
                    String decoded = tokenizer.decode(toArray(tokens), true);
                    String cut = streamer.cutAtStop(decoded);
                    if (cut != null) {
                        text[0] = cut;
                        stoppedByString[0] = true;
                        streamer.update(cut, true);
                        throw new EndGeneration(false);
                    }
                    text[0] = decoded;
                    streamer.update(decoded, false);
                });
        if (constraint != null) {
            options = options.withLogitsHook(maskWith(constraint));
        }
        String finish;
        try {
            GenerationResult result = new Generator(model).generate(prompt, options);
            finish = result.sequences().get(0).finishReason();
        } catch (EndGeneration end) {
            if (end.cancelled) {
                return cancelled(prompt.length);
            }
            finish = "stop";
        }
        ParsedAssistantMessage parsed = parseCalls ? parser.parse(text[0], UUID.randomUUID().toString())
                : new ParsedAssistantMessage(text[0], List.of(), List.of(), false);
        streamer.update(text[0], true);
        streamer.finish(parsed.content(), parsed.toolCalls());
        ChatOutcome.FinishReason reason = "length".equals(finish) && !stoppedByString[0]
                ? ChatOutcome.FinishReason.LENGTH
                : parsed.hasToolCalls() ? ChatOutcome.FinishReason.TOOL_CALLS : ChatOutcome.FinishReason.STOP;
        return new ChatOutcome(parsed.content(), parsed.toolCalls(), parsed.invalidToolCalls(), reason,
                prompt.length, tokens.size(), firstToken[0]);
    }

    /**
     * The constraint as a logits hook: tokens it does not allow get -infinity. The end tokens are allowed exactly
     * where the constraint may stop, and are the only choice once it is done.
     */
    private LogitsHook maskWith(TokenConstraint constraint) {
        return (step, logits, generated) -> {
            int vocab = (int) logits.getShape().get(1);
            long[] mask = new long[(vocab + 63) >>> 6];
            if (constraint.isDone()) {
                Arrays.fill(mask, 0L);
            } else {
                constraint.allowedTokens(mask);
            }
            boolean stop = constraint.isDone() || constraint.canStop();
            for (int token : stopTokens) {
                if (token < vocab) {
                    if (stop) {
                        mask[token >>> 6] |= 1L << (token & 63);
                    } else {
                        mask[token >>> 6] &= ~(1L << (token & 63));
                    }
                }
            }
            float[] bias = new float[vocab];
            for (int t = 0; t < vocab; t++) {
                if ((mask[t >>> 6] & (1L << (t & 63))) == 0) {
                    bias[t] = Float.NEGATIVE_INFINITY;
                }
            }
            NDArray add = logits.getManager().create(bias).reshape(1, vocab);
            return logits.add(add);
        };
    }

    private static int[] toArray(List<Integer> tokens) {
        int[] out = new int[tokens.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = tokens.get(i);
        }
        return out;
    }

    private static ChatOutcome cancelled(int promptTokens) {
        return new ChatOutcome("", List.of(), List.of(), ChatOutcome.FinishReason.CANCELLED, promptTokens, 0, 0);
    }

    private static final class Job implements ChatHandle {
        final ChatCall call;
        final ChatStreamListener listener;
        final CompletableFuture<ChatOutcome> result = new CompletableFuture<>();
        volatile boolean cancelled;

        Job(ChatCall call, ChatStreamListener listener) {
            this.call = call;
            this.listener = listener;
        }

        @Override
        public CompletableFuture<ChatOutcome> result() {
            return result;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }
}
