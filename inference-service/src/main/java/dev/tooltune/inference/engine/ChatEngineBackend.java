package dev.tooltune.inference.engine;

import dev.tooltune.model.serving.ChatStreamListener;
import java.nio.file.Path;

/**
 * The model behind the service: one base model, adapters loaded into device memory by id, and chat generations.
 * The shape of model-core's {@code ServingEngine}/{@code ChatEngine}; the service depends
 * only on this interface, so the engine under it can change without touching HTTP, adapters or metrics.
 */
public interface ChatEngineBackend extends AutoCloseable {

    /**
     * Queues a generation; the listener hears its output as it becomes final. Never blocks on the model, but renders
     * and tokenises the prompt first (CPU time in proportion to its size): never call it on an event loop.
     *
     * @throws dev.tooltune.model.serving.RequestTooLargeException when the request can never fit the engine
     */
    ChatHandle submit(ChatCall call, ChatStreamListener listener);

    /** Loads a PEFT adapter directory under {@code adapterId}; safe while generations run. Blocks until loaded. */
    void loadAdapter(String adapterId, Path directory);

    /** Frees an adapter's device memory; generations already using it finish first. */
    void unloadAdapter(String adapterId);

    /** Generations queued but not started. */
    int queued();

    /** Generations being decoded now. */
    int running();

    /** Vocabulary size (for token constraint masks). */
    int vocabSize();

    @Override
    void close();
}
