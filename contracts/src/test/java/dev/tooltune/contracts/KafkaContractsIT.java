package dev.tooltune.contracts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.tooltune.contracts.events.TrainingEvent;

/**
 * Every message type through its topic on a real broker: the one from scripts/kafka.sh at localhost:9092, or
 * KAFKA_BOOTSTRAP_SERVERS. Without a reachable broker every test fails, saying so; nothing is skipped.
 */
class KafkaContractsIT {

    private static final String BOOTSTRAP =
            System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    // Each run uses fresh ids and reads from the offsets it wrote, so runs against a long-lived broker are
    // independent of each other.
    private static final SampleMessages SAMPLES = new SampleMessages(UUID.randomUUID().toString());

    private static Admin admin;
    private static KafkaProducer<String, byte[]> producer;
    private static KafkaConsumer<String, byte[]> consumer;

    @BeforeAll
    static void connect() {
        failUnlessSomethingListensAt(BOOTSTRAP);
        Properties adminConfig = new Properties();
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        admin = Admin.create(adminConfig);
        try {
            admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            fail("No Kafka broker reachable at " + BOOTSTRAP + " (KAFKA_BOOTSTRAP_SERVERS). Start one with "
                    + "'scripts/kafka.sh start', or run all tests with scripts/test.sh. Cause: " + e);
        }

        Properties producerConfig = new Properties();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());

        Properties consumerConfig = new Properties();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static void failUnlessSomethingListensAt(String bootstrap) {
        String first = bootstrap.split(",")[0].trim();
        int colon = first.lastIndexOf(':');
        String host = first.substring(0, colon);
        int port = Integer.parseInt(first.substring(colon + 1));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 3000);
        } catch (IOException e) {
            fail("No Kafka broker reachable at " + bootstrap + " (KAFKA_BOOTSTRAP_SERVERS): " + e.getMessage()
                    + ". Start one with 'scripts/kafka.sh start', or run all tests with scripts/test.sh (building another"
                    + " module with -am and no broker at hand: -DskipITs leaves out these broker tests).");
        }
    }

    @AfterAll
    static void disconnect() {
        for (AutoCloseable client : new AutoCloseable[] {consumer, producer, admin}) {
            if (client != null) {
                try {
                    client.close();
                } catch (Exception ignored) {
                    // closing after a failed connect; the failure was already reported
                }
            }
        }
    }

    @Test
    void theBrokersTopicsMatchTheContracts() throws Exception {
        Set<String> names = Topics.ALL.stream().map(Topics.Topic::name).collect(Collectors.toSet());
        Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
        List<ConfigResource> resources = names.stream()
                .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(10, TimeUnit.SECONDS);

        for (Topics.Topic topic : Topics.ALL) {
            assertEquals(topic.partitions(), described.get(topic.name()).partitions().size(),
                    "partitions of " + topic.name());
            Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
            assertEquals(topic.cleanupPolicy(), config.get("cleanup.policy").value(),
                    "cleanup.policy of " + topic.name());
        }
    }

    static List<SampleMessages.Sample<?>> samples() {
        return SAMPLES.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyMessageTypeTravelsThroughItsTopic(SampleMessages.Sample<?> sample) throws Exception {
        String topic = sample.codec().topic().name();
        RecordMetadata written = send(topic, sample.key(), sample.encode());

        List<ConsumerRecord<String, byte[]>> read = readFrom(written, 1);

        assertEquals(sample.key(), read.get(0).key());
        assertEquals(sample.message(), sample.decode(read.get(0).value()));
    }

    @Test
    void aJobsEventsShareAPartitionAndKeepTheirOrder() throws Exception {
        List<TrainingEvent> events = List.of(SAMPLES.validating(), SAMPLES.queued(), SAMPLES.runningStart(),
                SAMPLES.running(), SAMPLES.succeeded());
        List<RecordMetadata> written = new ArrayList<>();
        for (TrainingEvent event : events) {
            written.add(send(Topics.TRAINING_EVENTS.name(), MessageCodec.TRAINING_EVENTS.key(event),
                    MessageCodec.TRAINING_EVENTS.encode(event)));
        }

        for (RecordMetadata metadata : written) {
            assertEquals(written.get(0).partition(), metadata.partition(), "every event of one job, one partition");
        }
        List<TrainingEvent> read = readFrom(written.get(0), events.size()).stream()
                .filter(record -> SAMPLES.loraJob().jobId().equals(record.key()))
                .map(record -> MessageCodec.TRAINING_EVENTS.decode(record.value()))
                .toList();
        assertEquals(events, read);
    }

    @Test
    void deletingAnAdapterIsATombstoneUnderItsKey() throws Exception {
        var adapter = SAMPLES.adapter();
        String key = MessageCodec.ADAPTERS.key(adapter);
        RecordMetadata published = send(Topics.ADAPTERS.name(), key, MessageCodec.ADAPTERS.encode(adapter));
        RecordMetadata deleted = send(Topics.ADAPTERS.name(), key, null);

        assertEquals(published.partition(), deleted.partition());
        List<ConsumerRecord<String, byte[]>> read = readFrom(published, 2).stream()
                .filter(record -> key.equals(record.key())).toList();
        assertArrayEquals(MessageCodec.ADAPTERS.encode(adapter), read.get(0).value());
        assertNull(read.get(1).value());
    }

    private static RecordMetadata send(String topic, String key, byte[] value) throws Exception {
        return producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
    }

    /** At least {@code count} records of the written record's partition, starting at its offset. */
    private static List<ConsumerRecord<String, byte[]>> readFrom(RecordMetadata written, int count) {
        TopicPartition partition = new TopicPartition(written.topic(), written.partition());
        consumer.assign(List.of(partition));
        consumer.seek(partition, written.offset());
        List<ConsumerRecord<String, byte[]>> read = new ArrayList<>();
        Instant deadline = Instant.now().plus(PATIENCE);
        while (read.size() < count && Instant.now().isBefore(deadline)) {
            consumer.poll(Duration.ofMillis(200)).records(partition).forEach(read::add);
        }
        if (read.size() < count) {
            fail("read " + read.size() + " of " + count + " records from " + partition + " at offset "
                    + written.offset() + " within " + PATIENCE.toSeconds() + " s");
        }
        return read;
    }
}
