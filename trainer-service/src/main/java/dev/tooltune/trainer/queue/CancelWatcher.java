package dev.tooltune.trainer.queue;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.kafka.ReadProgress;
import dev.tooltune.trainer.TrainerSettings;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Default;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Every cancel request, wherever the job runs (channel {@code training-cancels}, application.properties): every worker
 * reads every partition from the beginning, as a consumer group of its own per start that never commits. The last
 * {@code cancelMemory} cancelled job ids are kept, so that a job cancelled before any worker took it is never started.
 */
@ApplicationScoped
@Default // injected by type as well; @Identifier names it for the channel config
@Identifier(CancelWatcher.REBALANCE_LISTENER)
public class CancelWatcher implements KafkaConsumerRebalanceListener {
    /** The channel's consumer-rebalance-listener.name. */
    public static final String REBALANCE_LISTENER = "trainer-cancels";
    /** The channel (application.properties). */
    static final String CHANNEL = "training-cancels";
    private static final Logger LOG = Logger.getLogger(CancelWatcher.class);

    private final Set<String> cancelled;
    private final Set<Consumer<String>> listeners = ConcurrentHashMap.newKeySet();
    private final ReadProgress progress = new ReadProgress();
    private final Set<TopicPartition> partitions = ConcurrentHashMap.newKeySet();
    private final String topic;
    private final KafkaClientService kafka;

    CancelWatcher(TrainerSettings settings, KafkaClientService kafka) {
        this.topic = settings.topics().cancels();
        this.kafka = kafka;
        int memory = settings.cancelMemory();
        this.cancelled = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > memory;
            }
        }));
    }

    @Override
    public void onPartitionsAssigned(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer,
            Collection<TopicPartition> partitions) {
        progress.assigned(consumer, partitions);
        this.partitions.addAll(partitions);
        LOG.infof("reading cancels from %d partition(s)", partitions.size());
    }

    /**
     * Waits until every cancel already on the topic now is known (at most {@code timeout}), so that a job whose cancel
     * was sent before the job reached this worker is never started, even when the job's delivery outran the cancel
     * reader, or the worker has just started and its reader has not been given the topic yet. Returns as soon as the
     * reader is there, so a generous timeout costs nothing. False if the end offsets could not be read or the reader
     * did not get there in time: the job then starts and a late cancel still stops it through {@link #onCancel}.
     */
    public boolean awaitCancelsSentBeforeNow(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (partitions.isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        Map<TopicPartition, Long> end;
        try {
            // asked with the channel's own consumer, on its polling thread: no second client for one topic
            KafkaConsumer<Object, Object> consumer = kafka.getConsumer(CHANNEL);
            if (consumer == null) {
                return false;
            }
            end = consumer.runOnPollingThread(c -> {
                return ReadProgress.endOffsets(c, topic); // a block: the void overload would match an expression
            }).await().atMost(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } catch (RuntimeException e) {
            LOG.warnf("could not read the cancel topic's end offsets: %s", e.getMessage());
            return false;
        }
        return progress.await(() -> end, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    @Incoming(CHANNEL)
    public void apply(ConsumerRecord<String, byte[]> record) {
        JobCommand command;
        try {
            command = MessageCodec.TRAINING_CANCELS.decode(record.value());
        } catch (RuntimeException e) {
            LOG.warnf("skipping unreadable cancel at %s-%d@%d: %s", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            command = null;
        }
        if (command instanceof CancelTrainingJob cancel) {
            cancelled.add(cancel.jobId());
            LOG.infof("cancel request for job %s", cancel.jobId());
            listeners.forEach(listener -> listener.accept(cancel.jobId()));
        }
        progress.applied(record);
    }

    public boolean isCancelled(String jobId) {
        return cancelled.contains(jobId);
    }

    /** Called with the job id of every cancel from now on. */
    public void onCancel(Consumer<String> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<String> listener) {
        listeners.remove(listener);
    }
}
