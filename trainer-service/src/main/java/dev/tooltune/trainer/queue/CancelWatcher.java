package dev.tooltune.trainer.queue;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.trainer.TrainerSettings;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Every cancel request, wherever the job runs: a plain consumer with all partitions of the cancels topic assigned
 * (no group, so every worker sees every cancel), read from the beginning. The last {@code cancelMemory} cancelled
 * job ids are kept, so that a job cancelled before any worker took it is never started.
 */
public final class CancelWatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CancelWatcher.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final Set<String> cancelled;
    private final Set<Consumer<String>> listeners = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;

    public CancelWatcher(TrainerSettings settings) {
        int memory = settings.cancelMemory();
        this.cancelled = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > memory;
            }
        }));
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = List.of();
        for (int attempt = 0; partitions.isEmpty() && attempt < 30; attempt++) {
            partitions = consumer.partitionsFor(settings.topics().cancels(), Duration.ofSeconds(10)).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        }
        if (partitions.isEmpty()) {
            throw new IllegalStateException("topic " + settings.topics().cancels() + " has no partitions (does it exist?)");
        }
        LOG.infof("reading cancels from %d partition(s) of %s", partitions.size(), settings.topics().cancels());
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::poll, "cancel-watcher");
        thread.setDaemon(true);
        thread.start();
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

    private void poll() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    String jobId;
                    try {
                        JobCommand command = MessageCodec.TRAINING_CANCELS.decode(record.value());
                        if (!(command instanceof CancelTrainingJob cancel)) {
                            continue;
                        }
                        jobId = cancel.jobId();
                    } catch (RuntimeException e) {
                        LOG.warnf("skipping unreadable cancel at %s-%d@%d: %s", record.topic(), record.partition(),
                                record.offset(), e.getMessage());
                        continue;
                    }
                    cancelled.add(jobId);
                    LOG.infof("cancel request for job %s", jobId);
                    listeners.forEach(listener -> listener.accept(jobId));
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
