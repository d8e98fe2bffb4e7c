package dev.tooltune.trainer.queue;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.kafka.ReadProgress;
import dev.tooltune.trainer.TrainerSettings;
import io.smallrye.common.annotation.Identifier;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import jakarta.annotation.PreDestroy;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
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
    private static final Logger LOG = Logger.getLogger(CancelWatcher.class);

    private final Set<String> cancelled;
    private final Set<Consumer<String>> listeners = ConcurrentHashMap.newKeySet();
    private final ReadProgress progress = new ReadProgress();
    private final Set<TopicPartition> partitions = ConcurrentHashMap.newKeySet();
    private final String bootstrapServers;
    private Admin admin;

    CancelWatcher(TrainerSettings settings) {
        this.bootstrapServers = settings.bootstrapServers();
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
        Set<TopicPartition> known = Set.copyOf(partitions);
        Map<TopicPartition, Long> end;
        try {
            end = admin().listOffsets(known.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                    .all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("could not read the cancel topic's end offsets: %s", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return progress.await(() -> end, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    AdminClientConfig.CLIENT_ID_CONFIG, "trainer-cancels-offsets"));
        }
        return admin;
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }

    @Incoming("training-cancels")
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
