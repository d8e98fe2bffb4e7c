import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Run by scripts/kafka.sh after the broker process is up (Java single-file source launch, Kafka jars on the
 * class path). In one JVM, to keep start-up short: waits until the broker answers a metadata request, creates
 * the topics that are missing, and waits until every partition has a leader, so that "started" means a client
 * can produce right away.
 *
 * Usage: java -cp 'kafka-jars/*' CreateTopics.java BOOTSTRAP TIMEOUT_SECONDS name:partitions[:compact] ...
 * Topic names, partition counts and cleanup policies must agree with dev.tooltune.contracts.Topics; the
 * contracts integration test checks the running broker against them.
 */
public class CreateTopics {

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        Instant deadline = Instant.now().plusSeconds(Long.parseLong(args[1]));
        List<NewTopic> wanted = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            wanted.add(parseTopic(args[i]));
        }

        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        try (Admin admin = Admin.create(config)) {
            retryUntil(deadline, "broker at " + bootstrap + " to answer", () -> {
                admin.describeCluster().nodes().get();
                return true;
            });
            for (NewTopic topic : wanted) {
                retryUntil(deadline, "topic " + topic.name() + " to be created", () -> {
                    try {
                        admin.createTopics(List.of(topic)).all().get();
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                    return true;
                });
            }
            Set<String> names = wanted.stream().map(NewTopic::name).collect(java.util.stream.Collectors.toSet());
            retryUntil(deadline, "every partition of " + names + " to have a leader", () -> {
                Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
                return described.values().stream()
                        .flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            });
        }
    }

    /** "adapters:3:compact" becomes a topic with 3 partitions, replication factor 1, cleanup.policy=compact. */
    private static NewTopic parseTopic(String spec) {
        String[] parts = spec.split(":");
        NewTopic topic = new NewTopic(parts[0], Integer.parseInt(parts[1]), (short) 1);
        if (parts.length > 2) {
            topic.configs(Map.of("cleanup.policy", parts[2]));
        }
        return topic;
    }

    interface Attempt {
        boolean succeeded() throws Exception;
    }

    private static void retryUntil(Instant deadline, String what, Attempt attempt) throws InterruptedException {
        Exception last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                if (attempt.succeeded()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(200);
        }
        System.err.println("Timed out waiting for " + what + (last == null ? "" : ": " + rootMessage(last)));
        System.exit(1);
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
