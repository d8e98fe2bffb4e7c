package dev.tooltune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The topics are created in three places besides {@link Topics}: scripts/kafka.sh (tests, development),
 * docker-compose.yml and k8s/base/kafka.yaml. Each must create exactly the topics of {@link Topics#ALL}, with the
 * same partitions and cleanup policies. (KafkaContractsIT checks the broker that kafka.sh started, too.)
 */
class TopicDeclarationsTest {

    private static final Path REPOSITORY = Path.of("..");
    /** {@code kafka-topics.sh ... --create ... --topic NAME --partitions N ... [--config cleanup.policy=compact]} */
    private static final Pattern CREATE_COMMAND = Pattern.compile(
            "--create\\b[^\\n]*?--topic (\\S+) --partitions (\\d+)([^\\n]*)");
    /** {@code KAFKA_TOPICS=(training-jobs:12 training-events:6 adapters:3:compact)} */
    private static final Pattern KAFKA_SH_TOPICS = Pattern.compile("^KAFKA_TOPICS=\\(([^)]*)\\)", Pattern.MULTILINE);

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "k8s/base/kafka.yaml"})
    void kafkaTopicsCommandsCreateTheContractTopics(String file) throws IOException {
        String text = Files.readString(REPOSITORY.resolve(file));
        Map<String, String> declared = new TreeMap<>();
        Matcher create = CREATE_COMMAND.matcher(text);
        while (create.find()) {
            boolean compacted = create.group(3).contains("--config cleanup.policy=compact");
            declared.put(create.group(1), create.group(2) + (compacted ? ":compact" : ""));
        }

        assertEquals(expected(), declared, "topics created by " + file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripts/kafka.sh"})
    void kafkaShCreatesTheContractTopics(String file) throws IOException {
        Matcher list = KAFKA_SH_TOPICS.matcher(Files.readString(REPOSITORY.resolve(file)));
        assertTrue(list.find(), file + " declares KAFKA_TOPICS=(...)");
        Map<String, String> declared = new TreeMap<>();
        for (String spec : list.group(1).trim().split("\\s+")) {
            int colon = spec.indexOf(':');
            declared.put(spec.substring(0, colon), spec.substring(colon + 1));
        }

        assertEquals(expected(), declared, "topics created by " + file);
    }

    private static Map<String, String> expected() {
        Map<String, String> expected = new TreeMap<>();
        for (Topics.Topic topic : Topics.ALL) {
            expected.put(topic.name(), topic.partitions() + (topic.compacted() ? ":compact" : ""));
        }
        return expected;
    }
}
