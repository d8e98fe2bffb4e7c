package dev.tooltune.trainer.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Why queue/JobQueue is still hand-written, as a check to run after upgrading Quarkus / SmallRye Reactive Messaging
 * (opt-in: {@code -Dtooltune.upstream-checks=true}, about two minutes). SmallRye's share-group consumer
 * ({@code share-group=true}) gets one 50 s job under the broker's default 30 s acquisition lock, the way a training job
 * comes from training-jobs. It should run once: the connector renews the lock of in-flight records. Against Kafka 4.2
 * with SmallRye 4.34.0 (Quarkus 3.36.x) it does not: the renewal is refused ("SRMSG18287 ... The record cannot be
 * acknowledged") and the broker hands the record over again while the first run is still going, so it runs 2-3
 * times; this test then fails with the number of deliveries. When it passes, JobQueue can become an {@code @Incoming}.
 *
 * <p>Run: {@code KAFKA_BOOTSTRAP_SERVERS=... mvn -B -pl trainer-service -am verify -Dtooltune.upstream-checks=true
 * -Dtest=SmallRyeShareGroupLongJobCheck -Dsurefire.failIfNoSpecifiedTests=false -DskipITs}. Named {@code ...Check},
 * not {@code ...Test}, so that the test runs do not select it: surefire would build the Quarkus application only to
 * find it disabled.
 */
@QuarkusTest
@QuarkusTestResource(value = SmallRyeShareGroupLongJobCheck.Topics.class, restrictToAnnotatedClass = true)
@EnabledIfSystemProperty(named = "tooltune.upstream-checks", matches = "true")
class SmallRyeShareGroupLongJobCheck {
    static final Duration JOB = Duration.ofSeconds(50);
    static final String BOOTSTRAP = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");

    /** A job that takes 50 s, on the share-group channel; notes each delivery. */
    @ApplicationScoped
    public static class LongJob {
        static final List<Instant> deliveries = new CopyOnWriteArrayList<>();

        @Incoming("share-repro")
        @Blocking
        public void run(ConsumerRecord<String, String> record) throws InterruptedException {
            deliveries.add(Instant.now());
            Thread.sleep(JOB.toMillis());
        }
    }

    /** This run's topics: the repro's own, and the trainer's (its worker starts with the application, idle). */
    public static class Topics implements QuarkusTestResourceLifecycleManager {
        static final String RUN = UUID.randomUUID().toString().substring(0, 8);
        static final String TOPIC = "share-repro-" + RUN;
        static final String GROUP = "share-repro-" + RUN;

        @Override
        public Map<String, String> start() {
            Properties properties = new Properties();
            properties.put("bootstrap.servers", BOOTSTRAP);
            Map<String, String> config = new HashMap<>();
            try (Admin admin = Admin.create(properties)) {
                List<NewTopic> topics = new java.util.ArrayList<>(List.of(new NewTopic(TOPIC, 1, (short) 1)));
                for (String name : List.of("jobs", "cancels", "events", "adapters")) {
                    topics.add(new NewTopic("share-repro-" + name + "-" + RUN, 1, (short) 1));
                    config.put("tooltune.trainer.topics." + name, "share-repro-" + name + "-" + RUN);
                }
                admin.createTopics(topics).all().get();
                // A job submitted before the consumer joined must not be skipped (the trainer sets the same).
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, GROUP), List.of(
                        new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET))))
                        .all().get();
            } catch (Exception e) {
                throw new IllegalStateException("needs the Kafka broker at " + BOOTSTRAP, e);
            }
            config.put("tooltune.trainer.bootstrap-servers", BOOTSTRAP);
            config.put("tooltune.trainer.group", "share-repro-trainers-" + RUN);
            config.put("tooltune.trainer.configure-group", "false");
            config.put("tooltune.trainer.device", "cpu");
            config.put("mp.messaging.incoming.share-repro.connector", "smallrye-kafka");
            config.put("mp.messaging.incoming.share-repro.topic", TOPIC);
            config.put("mp.messaging.incoming.share-repro.share-group", "true");
            config.put("mp.messaging.incoming.share-repro.group.id", GROUP);
            config.put("mp.messaging.incoming.share-repro.value.deserializer",
                    "org.apache.kafka.common.serialization.StringDeserializer");
            return config;
        }

        @Override
        public void stop() {
        }
    }

    @Test
    void aFiftySecondJobUnderTheDefaultLockRunsOnce() throws Exception {
        Properties properties = new Properties();
        properties.put("bootstrap.servers", BOOTSTRAP);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.TOPIC, "job-1", "a 50 s job")).get();
        }
        // The first run ends within JOB + 30 s of the send; a redelivery, if any, starts by then as well (the lock
        // is 30 s). Then wait one more lock period for a late one.
        Thread.sleep(JOB.plusSeconds(30 + 35).toMillis());
        assertEquals(1, LongJob.deliveries.size(), "SmallRye's share-group consumer delivered the 50 s job "
                + LongJob.deliveries.size() + " times (at " + LongJob.deliveries + "): it still does not hold a long job,"
                + " so queue/JobQueue stays hand-written");
    }
}
