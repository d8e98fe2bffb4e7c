package dev.tooltune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.FailureKind;
import dev.tooltune.contracts.events.JobFailed;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.events.UnrecognizedTrainingEvent;
import dev.tooltune.contracts.jobs.Hyperparameters;
import dev.tooltune.contracts.jobs.JobCommand;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.contracts.jobs.UnrecognizedJobCommand;
import dev.tooltune.contracts.validation.InvalidMessageException;
import dev.tooltune.contracts.validation.Violation;

class MessageCodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SampleMessages SAMPLES = new SampleMessages("unit");

    static List<SampleMessages.Sample<?>> samples() {
        return SAMPLES.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyMessageTypeSurvivesAJsonRoundTrip(SampleMessages.Sample<?> sample) throws Exception {
        byte[] value = sample.encode();

        assertEquals(sample.message(), sample.decode(value));
        ObjectNode written = (ObjectNode) JSON.readTree(value);
        assertEquals("schemaVersion", written.fieldNames().next(), "schemaVersion comes first");
        assertEquals(1, written.get("schemaVersion").asInt());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void unknownFieldsAddedByANewerProducerAreIgnored(SampleMessages.Sample<?> sample) throws Exception {
        ObjectNode written = (ObjectNode) JSON.readTree(sample.encode());
        written.put("addedLater", "x");
        written.putObject("anotherAddition").put("nested", 1);

        assertEquals(sample.message(), sample.decode(JSON.writeValueAsBytes(written)));
    }

    @Test
    void theJsonUsesTheDocumentedNames() throws Exception {
        ObjectNode job = (ObjectNode) JSON.readTree(MessageCodec.TRAINING_JOBS.encode(SAMPLES.loraJob()));

        assertEquals("submit", job.get("type").asText());
        assertEquals("lora", job.get("method").asText());
        assertEquals("2026-11-27T20:30:00.123456Z", job.get("submittedAt").asText());
        assertEquals(2e-4, job.at("/hyperparameters/learningRate").asDouble());
        assertEquals("q_proj", job.at("/lora/targetModules/0").asText());
        assertTrue(job.at("/baseModel/revision").isMissingNode(), "absent optional fields are left out");
        ObjectNode failed = (ObjectNode) JSON.readTree(MessageCodec.TRAINING_EVENTS.encode(SAMPLES.failed()));
        assertEquals("failed", failed.get("type").asText());
        assertEquals("out_of_memory", failed.get("reason").asText());
    }

    @Test
    void keysAreTheJobIdAndTheAdapterId() {
        assertEquals("ftjob-unit", MessageCodec.TRAINING_JOBS.key(SAMPLES.loraJob()));
        assertEquals("ftjob-unit", MessageCodec.TRAINING_JOBS.key(SAMPLES.cancel()));
        assertEquals("ftjob-unit", MessageCodec.TRAINING_EVENTS.key(SAMPLES.running()));
        assertEquals("ad-ftjob-unit", MessageCodec.ADAPTERS.key(SAMPLES.adapter()));
    }

    @Test
    void everyMissingRequiredFieldIsNamedWithItsPath() throws Exception {
        ObjectNode job = (ObjectNode) JSON.readTree(MessageCodec.TRAINING_JOBS.encode(SAMPLES.loraJob()));
        job.remove("jobId");
        ((ObjectNode) job.get("hyperparameters")).remove("epochs");
        ((ObjectNode) job.get("lora")).remove("rank");
        ((ObjectNode) job.get("trainingData")).put("version", 0);

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(job.toString()));

        assertEquals("training-jobs", error.topic());
        assertEquals(List.of(
                new Violation("jobId", "is required"),
                new Violation("trainingData.version", "must be between 1 and 2147483647 (was 0)"),
                new Violation("hyperparameters.epochs", "is required"),
                new Violation("lora.rank", "is required")), error.violations());
        assertTrue(error.getMessage().startsWith("invalid training-jobs message: jobId: is required; "),
                error.getMessage());
    }

    @Test
    void aProducerCannotSendAnInvalidMessage() {
        TrainingJob job = SAMPLES.loraJob();
        TrainingJob bad = new TrainingJob(job.jobId(), "acme corp", job.submittedAt(), job.baseModel(),
                job.trainingData(), job.validationData(), job.method(),
                new Hyperparameters(3, -0.1, 4, 4, 2048), job.lora(), job.seed(), "-starts-with-dash");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.encode(bad));

        assertEquals(List.of("tenantId", "hyperparameters.learningRate", "adapterName"),
                error.violations().stream().map(Violation::field).toList());
        assertTrue(error.getMessage().contains("'acme corp' is not valid"), error.getMessage());
    }

    @Test
    void loraSettingsAreRequiredForLoraAndForbiddenForFull() {
        TrainingJob lora = SAMPLES.loraJob();
        TrainingJob withoutLora = new TrainingJob(lora.jobId(), lora.tenantId(), lora.submittedAt(),
                lora.baseModel(), lora.trainingData(), null, TrainingMethod.QLORA, lora.hyperparameters(), null,
                lora.seed(), lora.adapterName());
        TrainingJob fullWithLora = new TrainingJob(lora.jobId(), lora.tenantId(), lora.submittedAt(),
                lora.baseModel(), lora.trainingData(), null, TrainingMethod.FULL, lora.hyperparameters(),
                lora.lora(), lora.seed(), lora.adapterName());

        assertEquals(List.of(new Violation("lora", "is required")), violationsOf(MessageCodec.TRAINING_JOBS, withoutLora));
        assertEquals("lora", violationsOf(MessageCodec.TRAINING_JOBS, fullWithLora).get(0).field());
    }

    @Test
    void aWrongJsonTypeNamesTheField() {
        String json = jobJsonWith("/hyperparameters", "epochs", "\"three\"");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals(new Violation("hyperparameters.epochs", "must be a whole number (was \"three\")"),
                error.violations().get(0));
    }

    @Test
    void aFractionIsNotAcceptedForAWholeNumber() {
        String json = jobJsonWith("/hyperparameters", "epochs", "2.5");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals("hyperparameters.epochs", error.violations().get(0).field());
        assertTrue(error.violations().get(0).problem().contains("2.5"), error.getMessage());
    }

    @Test
    void aTimeThatIsNoInstantSaysWhatIsExpected() {
        String json = jobJsonWith("", "submittedAt", "\"yesterday\"");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals(new Violation("submittedAt",
                "must be an ISO-8601 instant such as \"2026-11-27T20:30:00Z\" (was \"yesterday\")"),
                error.violations().get(0));
    }

    @Test
    void aStringWhereAnArrayBelongsNamesTheField() {
        String json = jobJsonWith("/lora", "targetModules", "\"q_proj\"");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals(new Violation("lora.targetModules", "must be an array (was \"q_proj\")"),
                error.violations().get(0));
    }

    @Test
    void anUnknownMethodListsTheAcceptedOnes() {
        String json = jobJsonWith("", "method", "\"lora2\"");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals(new Violation("method", "'lora2' is not one of lora, qlora, full"), error.violations().get(0));
    }

    @Test
    void aNewerSchemaVersionIsRefusedWithAnUpgradeHint() {
        String json = jobJsonWith("", "schemaVersion", "2");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals(new Violation("schemaVersion",
                "is 2, newer than this reader of training-jobs understands (1 to 1); upgrade this service"),
                error.violations().get(0));
    }

    @Test
    void aMessageWithoutSchemaVersionIsRefused() throws Exception {
        ObjectNode adapter = (ObjectNode) JSON.readTree(MessageCodec.ADAPTERS.encode(SAMPLES.adapter()));
        adapter.remove("schemaVersion");

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.ADAPTERS.fromJson(adapter.toString()));

        assertEquals(new Violation("schemaVersion", "is required"), error.violations().get(0));
    }

    @Test
    void malformedJsonIsReportedWithLineAndColumn() {
        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_EVENTS.decode("{\"schemaVersion\": 1,\n \"type\": }".getBytes(StandardCharsets.UTF_8)));

        Violation violation = error.violations().get(0);
        assertEquals("$", violation.field());
        assertTrue(violation.problem().startsWith("not valid JSON: ") && violation.problem().contains("line 2"),
                violation.problem());
    }

    @Test
    void aNullValueIsNotAMessage() {
        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.ADAPTERS.decode(null));

        assertTrue(error.getMessage().contains("tombstone"), error.getMessage());
    }

    @Test
    void anEventTypeAddedLaterIsReadAsUnrecognizedSoConsumersCanSkipIt() {
        String json = "{\"schemaVersion\":1,\"type\":\"checkpoint_saved\",\"eventId\":\"e1\",\"jobId\":\"j1\","
                + "\"tenantId\":\"acme\",\"occurredAt\":\"2026-11-27T20:30:00Z\",\"step\":100}";

        TrainingEvent event = MessageCodec.TRAINING_EVENTS.fromJson(json);

        UnrecognizedTrainingEvent unrecognized = assertInstanceOf(UnrecognizedTrainingEvent.class, event);
        assertEquals("checkpoint_saved", unrecognized.type());
        assertEquals("j1", unrecognized.jobId());
    }

    @Test
    void aCommandTypeAddedLaterIsReadAsUnrecognized() {
        String json = "{\"schemaVersion\":1,\"type\":\"pause\",\"jobId\":\"j1\",\"tenantId\":\"acme\"}";

        JobCommand command = MessageCodec.TRAINING_JOBS.fromJson(json);

        assertEquals(new UnrecognizedJobCommand("pause", "j1", "acme"), command);
        assertThrows(IllegalArgumentException.class, () -> MessageCodec.TRAINING_JOBS.encode(command));
    }

    @Test
    void aMessageWithoutTypeIsRefused() {
        String json = "{\"schemaVersion\":1,\"jobId\":\"j1\",\"tenantId\":\"acme\"}";

        InvalidMessageException error = assertThrows(InvalidMessageException.class,
                () -> MessageCodec.TRAINING_JOBS.fromJson(json));

        assertEquals(new Violation("type", "is required"), error.violations().get(0));
    }

    @Test
    void aFailureKindAddedLaterIsReadAsOther() throws Exception {
        ObjectNode failed = (ObjectNode) JSON.readTree(MessageCodec.TRAINING_EVENTS.encode(SAMPLES.failed()));
        failed.put("reason", "gpu_lost");

        JobFailed event = (JobFailed) MessageCodec.TRAINING_EVENTS.fromJson(failed.toString());

        assertEquals(FailureKind.OTHER, event.reason());
    }

    @Test
    void anAdapterMustPinItsBaseModelRevisionAndCarryAValidChecksumAndUri() {
        Adapter good = SAMPLES.adapter();
        Adapter bad = new Adapter(good.adapterId(), good.name(), 0, good.tenantId(), good.jobId(),
                new BaseModel("google/gemma-3-270m-it", null), good.method(), "artifacts/a1", "ABC123",
                -1L, java.util.Map.of("eval_loss", Double.NaN), good.createdAt());

        assertEquals(List.of(
                new Violation("version", "must be between 1 and 2147483647 (was 0)"),
                new Violation("baseModel.revision", "is required"),
                new Violation("artifactUri", "'artifacts/a1' must be an absolute URI such as "
                        + "file:///var/lib/tooltune/artifacts/a1/ or s3://bucket/a1/"),
                new Violation("sha256", "'ABC123' is not valid: 64 lowercase hexadecimal digits"),
                new Violation("sizeBytes", "must be 0 or more (was -1)"),
                new Violation("metrics.eval_loss", "must be a finite number (was NaN)")),
                violationsOf(MessageCodec.ADAPTERS, bad));
    }

    @Test
    void progressRejectsAStepBeyondTheTotalAndNegativeNumbers() {
        var running = SAMPLES.running();
        var bad = new dev.tooltune.contracts.events.JobRunning(running.eventId(), running.jobId(),
                running.tenantId(), running.occurredAt(), 301L, 300L, -1.0, Double.POSITIVE_INFINITY, null,
                1e-4, null, -5L);

        assertEquals(List.of("step", "epoch", "loss", "etaSeconds"),
                violationsOf(MessageCodec.TRAINING_EVENTS, bad).stream().map(Violation::field).toList());
    }

    private static <T extends dev.tooltune.contracts.validation.Validatable> List<Violation> violationsOf(
            MessageCodec<T> codec, T message) {
        return assertThrows(InvalidMessageException.class, () -> codec.encode(message)).violations();
    }

    /** The sample LoRA job as JSON, with the field {@code name} of the object at {@code pointer} set to raw JSON. */
    private static String jobJsonWith(String pointer, String name, String rawValue) {
        try {
            ObjectNode job = (ObjectNode) JSON.readTree(MessageCodec.TRAINING_JOBS.encode(SAMPLES.loraJob()));
            ((ObjectNode) job.at(pointer)).set(name, JSON.readTree(rawValue));
            return job.toString();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
