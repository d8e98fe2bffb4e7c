package dev.tooltune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.JobCancelled;
import dev.tooltune.contracts.events.JobFailed;
import dev.tooltune.contracts.events.JobQueued;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.events.JobSucceeded;
import dev.tooltune.contracts.events.JobValidating;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.validation.Validatable;

/** docs/contracts.md and the code agree: every example decodes, every message type has one, the topic table matches. */
class ContractsDocumentationTest {

    private static final Path DOC = Path.of("..", "docs", "contracts.md");
    private static final Pattern EXAMPLE =
            Pattern.compile("<!-- example: ([a-z-]+) -->\\s*```json\\n(.*?)```", Pattern.DOTALL);

    private record Example(String topic, String json, int line) {
    }

    @Test
    void everyExampleIsAValidMessageOfItsTopicAndEveryTypeHasOne() throws IOException {
        Set<Class<?>> documented = new HashSet<>();
        for (Example example : examples()) {
            MessageCodec<?> codec = codecFor(example.topic());
            try {
                Validatable message = codec.fromJson(example.json());
                documented.add(message.getClass());
            } catch (IllegalArgumentException e) {
                fail("the " + example.topic() + " example at docs/contracts.md line " + example.line()
                        + " does not decode: " + e.getMessage());
            }
        }

        assertEquals(Set.of(TrainingJob.class, CancelTrainingJob.class, JobValidating.class, JobQueued.class,
                JobRunning.class, JobSucceeded.class, JobFailed.class, JobCancelled.class, Adapter.class),
                documented);
    }

    @Test
    void theTopicTableMatchesTopics() throws IOException {
        String doc = Files.readString(DOC);
        for (Topics.Topic topic : Topics.ALL) {
            Matcher row = Pattern.compile("^\\| `" + Pattern.quote(topic.name()) + "` \\|(.*)$", Pattern.MULTILINE)
                    .matcher(doc);
            assertTrue(row.find(), "docs/contracts.md has a table row for " + topic.name());
            List<String> cells = List.of(row.group(1).split("\\|")).stream().map(String::trim).toList();
            assertEquals(String.valueOf(topic.partitions()), cells.get(2), "partitions of " + topic.name());
            assertEquals(topic.cleanupPolicy(), cells.get(3), "cleanup of " + topic.name());
        }
    }

    private static List<Example> examples() throws IOException {
        String doc = Files.readString(DOC);
        List<Example> examples = new ArrayList<>();
        Matcher matcher = EXAMPLE.matcher(doc);
        while (matcher.find()) {
            int line = (int) doc.substring(0, matcher.start(2)).chars().filter(c -> c == '\n').count() + 1;
            examples.add(new Example(matcher.group(1), matcher.group(2), line));
        }
        assertFalse(examples.isEmpty(), "no examples found in " + DOC.toAbsolutePath());
        return examples;
    }

    private static MessageCodec<?> codecFor(String topic) {
        return switch (topic) {
            case "training-jobs" -> MessageCodec.TRAINING_JOBS;
            case "training-cancels" -> MessageCodec.TRAINING_CANCELS;
            case "training-events" -> MessageCodec.TRAINING_EVENTS;
            case "adapters" -> MessageCodec.ADAPTERS;
            default -> throw new AssertionError("docs/contracts.md has an example for unknown topic " + topic);
        };
    }
}
