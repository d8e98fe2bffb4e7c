package dev.tooltune.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The real broker of the test run (KAFKA_BOOTSTRAP_SERVERS, default localhost:9092) with topics of this run only:
 * {@code training-jobs-<run>} and so on, so that nothing else on a shared broker is read or disturbed.
 */
public final class TestKafka {
    public static final String BOOTSTRAP = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");

    public record Topics(String trainingJobs, String trainingCancels, String trainingEvents, String adapters) {
        public Map<String, String> config() {
            return Map.of("tooltune.gateway.topics.training-jobs", trainingJobs,
                    "tooltune.gateway.topics.training-cancels", trainingCancels,
                    "tooltune.gateway.topics.training-events", trainingEvents,
                    "tooltune.gateway.topics.adapters", adapters,
                    "tooltune.gateway.kafka.bootstrap-servers", BOOTSTRAP);
        }
    }

    /** Creates this run's four topics (the adapters one compacted, as in production). */
    public static Topics createTopics() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Topics topics = new Topics("training-jobs-" + run, "training-cancels-" + run, "training-events-" + run,
                "adapters-" + run);
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        try (Admin admin = Admin.create(properties)) {
            admin.createTopics(List.of(
                    new NewTopic(topics.trainingJobs(), 3, (short) 1),
                    new NewTopic(topics.trainingCancels(), 1, (short) 1),
                    new NewTopic(topics.trainingEvents(), 3, (short) 1),
                    new NewTopic(topics.adapters(), 3, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all().get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("the tests need a Kafka broker at " + BOOTSTRAP
                    + " (scripts/kafka.sh start; KAFKA_BOOTSTRAP_SERVERS): " + e.getMessage(), e);
        }
        return topics;
    }

    /** Creates one topic (one partition). */
    public static void createTopic(String name) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        try (Admin admin = Admin.create(properties)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e.getMessage(), e);
        }
    }

    public static void send(String topic, String key, byte[] value) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(properties, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every record of the topic from the beginning up to its end now, that matches. */
    public static List<ConsumerRecord<String, byte[]>> readAll(String topic, Predicate<ConsumerRecord<String, byte[]>> matching) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(properties, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end in 60 s");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (matching.test(record)) {
                        found.add(record);
                    }
                }
            }
        }
        return found;
    }

    private TestKafka() {
    }
}
