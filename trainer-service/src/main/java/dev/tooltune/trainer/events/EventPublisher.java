package dev.tooltune.trainer.events;

import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.trainer.TrainerSettings;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Publishes training events and adapter records; each send waits for the broker (idempotent producer, acks=all). */
public final class EventPublisher implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final TrainerSettings.Topics topics;

    public EventPublisher(TrainerSettings settings) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        topics = settings.topics();
    }

    public void event(TrainingEvent event) {
        send(new ProducerRecord<>(topics.events(), MessageCodec.TRAINING_EVENTS.key(event),
                MessageCodec.TRAINING_EVENTS.encode(event)));
    }

    public void adapter(Adapter adapter) {
        send(new ProducerRecord<>(topics.adapters(), adapter.adapterId(), MessageCodec.ADAPTERS.encode(adapter)));
    }

    private void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not publish to " + record.topic() + " (key " + record.key() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing to " + record.topic(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
