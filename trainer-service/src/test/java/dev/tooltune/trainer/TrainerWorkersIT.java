package dev.tooltune.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tooltune.artifacts.DirectoryArtifactStore;
import dev.tooltune.contracts.BaseModel;
import dev.tooltune.contracts.DatasetRef;
import dev.tooltune.contracts.MessageCodec;
import dev.tooltune.contracts.adapters.Adapter;
import dev.tooltune.contracts.events.FailureKind;
import dev.tooltune.contracts.events.JobCancelled;
import dev.tooltune.contracts.events.JobFailed;
import dev.tooltune.contracts.events.JobRunning;
import dev.tooltune.contracts.events.JobSucceeded;
import dev.tooltune.contracts.events.JobValidating;
import dev.tooltune.contracts.events.TrainingEvent;
import dev.tooltune.contracts.jobs.CancelTrainingJob;
import dev.tooltune.contracts.jobs.Hyperparameters;
import dev.tooltune.contracts.jobs.LoraSettings;
import dev.tooltune.contracts.jobs.TrainingJob;
import dev.tooltune.contracts.jobs.TrainingMethod;
import dev.tooltune.model.checkpoint.BaseModels;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.PeftAdapterFiles;
import dev.tooltune.model.training.GemmaCausalLm;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Trainer workers as real processes (this module's quarkus-app jar) on a real broker, with a real dataset-service
 * process on its own port and PostgreSQL database, training the tiny random Gemma 3 on a handful of examples.
 * Topics and the share group are per run, so other tests on the same broker do not matter.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainerWorkersIT {

    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String BOOTSTRAP = System.getenv().getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092");
    private static final String JOBS = "it-jobs-" + RUN;
    private static final String CANCELS = "it-cancels-" + RUN;
    private static final String EVENTS = "it-events-" + RUN;
    private static final String ADAPTERS = "it-adapters-" + RUN;
    private static final String TENANT = "acme-" + RUN;
    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path WORK = MODULE.resolve("target/it-" + RUN);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Process datasetService;
    private static String datasetUrl;
    private static String datasetId;
    private static final List<Process> workers = new ArrayList<>();
    private static final List<Path> workerLogs = new ArrayList<>();
    private static final List<TrainingEvent> events = new CopyOnWriteArrayList<>();
    private static final List<Adapter> adapters = new CopyOnWriteArrayList<>();
    private static KafkaProducer<String, byte[]> producer;
    private static Thread eventReader;
    private static volatile boolean reading = true;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(WORK);
        Properties admin = new Properties();
        admin.put("bootstrap.servers", BOOTSTRAP);
        try (Admin a = Admin.create(admin)) {
            a.createTopics(List.of(new NewTopic(JOBS, 3, (short) 1), new NewTopic(CANCELS, 1, (short) 1),
                    new NewTopic(EVENTS, 1, (short) 1),
                    new NewTopic(ADAPTERS, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all().get();
        }
        producer = new KafkaProducer<>(admin, new StringSerializer(), new ByteArraySerializer());
        startEventReader();
        startDatasetService();
        datasetId = importFrozenDataset();
        startWorker();
        startWorker();
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process worker : workers) {
            worker.destroyForcibly();
        }
        if (datasetService != null) {
            datasetService.destroy();
            datasetService.waitFor();
        }
        reading = false;
        if (eventReader != null) {
            eventReader.join(5000);
        }
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    @Order(1)
    void aPoisonJobFailsWithAReasonAndTheJobBehindItTrainsOnceDespiteADuplicateSubmit() throws Exception {
        TrainingJob poison = job("poison", 1, new DatasetRef("999999", 1));
        TrainingJob good = job("good", 1, new DatasetRef(datasetId, 1));
        submit(poison);
        submit(good);
        submit(good); // a duplicate submit (e.g. the gateway's outbox sending twice)

        JobFailed failed = (JobFailed) awaitEvent(e -> e instanceof JobFailed && e.jobId().equals(poison.jobId()), 120);
        assertEquals(FailureKind.INVALID_DATASET, failed.reason());
        assertTrue(failed.message().contains("999999"), failed.message());

        JobSucceeded succeeded = (JobSucceeded) awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(good.jobId()), 300);
        assertTrue(succeeded.metrics().containsKey("eval_loss_after"), "metrics: " + succeeded.metrics());
        assertTrue(succeeded.metrics().containsKey("tool_call_exact_match_before"), "metrics: " + succeeded.metrics());
        Thread.sleep(15_000); // time for the duplicate to be taken and acknowledged
        assertEquals(1, events.stream().filter(e -> e instanceof JobSucceeded && e.jobId().equals(good.jobId())).count());
        List<Adapter> published = adapters.stream().filter(a -> a.jobId().equals(good.jobId())).toList();
        assertEquals(1, published.size(), "one adapter record: " + published);
        Adapter adapter = published.get(0);
        assertEquals(succeeded.adapterId(), adapter.adapterId());
        assertEquals(1, adapter.version());

        // the adapter loads in model-core, on top of the base model it names
        Path fetched = WORK.resolve("fetched-" + adapter.adapterId());
        new DirectoryArtifactStore(WORK.resolve("artifacts")).fetch(URI.create(adapter.artifactUri()), fetched);
        Path base = BaseModels.fromEnvironment().resolve(adapter.baseModel().id(), null).directory();
        try (Gemma3Model model = Gemma3Model.load(base)) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            LoraAdapter loaded = PeftAdapterFiles.load(fetched, lm.manager(), lm.projections());
            assertEquals(2, loaded.config().rank());
        }
    }

    @Test
    @Order(2)
    void aCancelStopsARunningJobAndAJobCancelledBeforeItStartsNeverRuns() throws Exception {
        TrainingJob early = job("cancel-early", 1, new DatasetRef(datasetId, 1));
        cancel(early);
        submit(early);
        JobCancelled before = (JobCancelled) awaitEvent(e -> e instanceof JobCancelled && e.jobId().equals(early.jobId()), 120);
        assertTrue(before.message().contains("before it started"), before.message());

        TrainingJob running = job("cancel-running", 200, new DatasetRef(datasetId, 1));
        submit(running);
        awaitEvent(e -> e instanceof JobRunning r && r.jobId().equals(running.jobId()) && r.step() >= 1, 300);
        cancel(running);
        awaitEvent(e -> e instanceof JobCancelled && e.jobId().equals(running.jobId()), 120);
        assertEquals(0, events.stream().filter(e -> e instanceof JobSucceeded && e.jobId().equals(running.jobId())).count());
    }

    @Test
    @Order(3)
    void aWorkerKilledMidTrainingIsReplacedAndTheJobResumesFromItsCheckpoint() throws Exception {
        TrainingJob job = job("killed", 4, new DatasetRef(datasetId, 1));
        submit(job);
        int holder = -1;
        int checkpointStep = -1;
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        Pattern checkpoint = Pattern.compile("job " + Pattern.quote(job.jobId()) + ": checkpoint at step (\\d+) stored");
        while (holder < 0 && System.nanoTime() < deadline) {
            for (int i = 0; i < workers.size(); i++) {
                if (!workers.get(i).isAlive()) {
                    continue;
                }
                Matcher m = checkpoint.matcher(Files.readString(workerLogs.get(i)));
                while (m.find()) {
                    holder = i;
                    checkpointStep = Integer.parseInt(m.group(1));
                }
            }
            Thread.sleep(200);
        }
        assertTrue(holder >= 0, "no worker stored a checkpoint of " + job.jobId());
        workers.get(holder).destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no release
        int killedAfterCheckpoint = checkpointStep;
        int runningBeforeKill = events.size();

        awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId()), 400);
        // the other worker re-read the checkpoint: the first step it reports is the one after the checkpoint
        List<Long> resumedSteps = events.subList(runningBeforeKill, events.size()).stream()
                .filter(e -> e instanceof JobRunning r && r.jobId().equals(job.jobId())).map(e -> ((JobRunning) e).step()).toList();
        assertTrue(!resumedSteps.isEmpty(), "no progress after the kill");
        assertTrue(resumedSteps.get(0) > killedAfterCheckpoint, "resumed at step " + resumedSteps.get(0)
                + " although the checkpoint was at step " + killedAfterCheckpoint + ": " + resumedSteps);
        assertTrue(resumedSteps.get(0) <= killedAfterCheckpoint + 2, "steps after the checkpoint were skipped: " + resumedSteps);
        for (int i = 1; i < resumedSteps.size(); i++) {
            assertTrue(resumedSteps.get(i) > resumedSteps.get(i - 1), "a step was repeated: " + resumedSteps);
        }
        assertEquals(1, events.stream().filter(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId())).count());
        assertEquals(1, adapters.stream().filter(a -> a.jobId().equals(job.jobId())).count());
    }

    @Test
    @Order(4)
    void aJobThatKeepsFailingItsWorkerIsFailedAfterTheDeliveryLimitAndDoesNotBlockTheJobsBehindIt() throws Exception {
        // A base model directory that resolves (config.json is there) but cannot be loaded: every delivery ends in an
        // internal error, which releases the job for another try until the last delivery reports it as failed.
        Path broken = Files.createDirectories(WORK.resolve("broken-model"));
        Files.writeString(broken.resolve("config.json"), "{\"model_type\": \"gemma3_text\"}");
        TrainingJob poison = new TrainingJob("job-crashing-" + RUN, TENANT, Instant.now(), new BaseModel(broken.toString(), null),
                new DatasetRef(datasetId, 1), null, TrainingMethod.LORA, new Hyperparameters(1, 1e-3, 1, 1, 2048),
                new LoraSettings(2, 4.0, 0.0, List.of("q_proj", "v_proj"), false), 11L, "bot-crashing-" + RUN, 0.34, 3L);
        TrainingJob behind = job("behind-poison", 1, new DatasetRef(datasetId, 1));
        submit(poison);
        submit(behind);

        JobFailed failed = (JobFailed) awaitEvent(e -> e instanceof JobFailed && e.jobId().equals(poison.jobId()), 300);
        assertEquals(FailureKind.INTERNAL_ERROR, failed.reason());
        assertTrue(failed.message().contains("delivery 3 of 3"), failed.message());
        // A delivery can also be spent without a validating event: a worker busy with another job RELEASEs at once
        // the records a lock-renewing poll hands it, and the broker counts that as a delivery.
        long tries = events.stream().filter(e -> e instanceof JobValidating && e.jobId().equals(poison.jobId())).count();
        assertTrue(tries >= 1 && tries <= 3, tries + " validating events for 3 deliveries: " + events);
        awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(behind.jobId()), 300);
        Thread.sleep(5_000); // the failed job was acknowledged: it is not delivered again
        assertEquals(tries, events.stream().filter(e -> e instanceof JobValidating && e.jobId().equals(poison.jobId())).count());
        assertEquals(1, events.stream().filter(e -> e instanceof JobFailed && e.jobId().equals(poison.jobId())).count());
    }

    @Test
    @Order(5)
    void aWorkerStoppedWithSigtermCheckpointsAndReleasesItsJobAndAnotherResumesIt() throws Exception {
        while (workers.stream().filter(Process::isAlive).count() < 2) {
            startWorker();
        }
        TrainingJob job = job("sigterm", 6, new DatasetRef(datasetId, 1));
        submit(job);
        Pattern checkpoint = Pattern.compile("job " + Pattern.quote(job.jobId()) + ": checkpoint at step \\d+ stored");
        int holder = -1;
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (holder < 0 && System.nanoTime() < deadline) {
            for (int i = 0; i < workers.size(); i++) {
                if (workers.get(i).isAlive() && checkpoint.matcher(Files.readString(workerLogs.get(i))).find()) {
                    holder = i;
                }
            }
            Thread.sleep(200);
        }
        assertTrue(holder >= 0, "no worker stored a checkpoint of " + job.jobId());
        int eventsBeforeStop = events.size();
        Process stopped = workers.get(holder);
        stopped.destroy(); // SIGTERM: Quarkus shutdown stops the job at its next step, checkpoints and releases it
        assertTrue(stopped.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the worker did not exit after SIGTERM");

        String log = Files.readString(workerLogs.get(holder));
        Matcher released = Pattern.compile("job " + Pattern.quote(job.jobId())
                + " stopped at step (\\d+) for shutdown; checkpoint stored, releasing it").matcher(log);
        assertTrue(released.find(), "no checkpoint-and-release on shutdown in " + workerLogs.get(holder));
        int stoppedAt = Integer.parseInt(released.group(1));
        assertTrue(Pattern.compile("job " + Pattern.quote(job.jobId()) + " \\([^)]*\\): RELEASE", Pattern.CASE_INSENSITIVE)
                        .matcher(log).find(),
                "the job's record was not released: see " + workerLogs.get(holder));

        awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId()), 400);
        // the next delivery went to another worker, which loaded the checkpoint written on shutdown ...
        String resuming = "job " + job.jobId() + ": resuming from checkpoint-" + String.format("%08d", stoppedAt);
        boolean resumedElsewhere = false;
        for (int i = 0; i < workers.size(); i++) {
            resumedElsewhere |= i != holder && Files.readString(workerLogs.get(i)).contains(resuming);
        }
        assertTrue(resumedElsewhere, "no other worker logged '" + resuming + "'; logs under " + WORK);
        // ... and its progress starts right after it (the stopped worker's own last events come before its release)
        int redelivered = -1;
        for (int i = eventsBeforeStop; i < events.size() && redelivered < 0; i++) {
            if (events.get(i) instanceof JobValidating v && v.jobId().equals(job.jobId())) {
                redelivered = i;
            }
        }
        assertTrue(redelivered >= 0, "no validating event of the second delivery: " + events);
        List<Long> resumedSteps = events.subList(redelivered, events.size()).stream()
                .filter(e -> e instanceof JobRunning r && r.jobId().equals(job.jobId())).map(e -> ((JobRunning) e).step()).toList();
        assertTrue(!resumedSteps.isEmpty(), "no progress after the stop");
        assertEquals(stoppedAt + 1, resumedSteps.get(0), "the other worker resumes right after the shutdown checkpoint: "
                + resumedSteps);
        assertEquals(1, events.stream().filter(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId())).count());
        assertEquals(1, adapters.stream().filter(a -> a.jobId().equals(job.jobId())).count());
    }

    // ---- helpers ----

    private static TrainingJob job(String name, int epochs, DatasetRef data) {
        String id = "job-" + name + "-" + RUN;
        return new TrainingJob(id, TENANT, Instant.now(), new BaseModel(BaseModels.TINY_RANDOM, null), data, null,
                TrainingMethod.LORA, new Hyperparameters(epochs, 1e-3, 1, 1, 2048),
                new LoraSettings(2, 4.0, 0.0, List.of("q_proj", "v_proj"), false), 11L, "bot-" + RUN, 0.34, 3L);
    }

    private static void submit(TrainingJob job) throws Exception {
        producer.send(new ProducerRecord<>(JOBS, job.jobId(), MessageCodec.TRAINING_JOBS.encode(job))).get();
    }

    private static void cancel(TrainingJob job) throws Exception {
        producer.send(new ProducerRecord<>(CANCELS, job.jobId(), MessageCodec.TRAINING_CANCELS.encode(
                new CancelTrainingJob(job.jobId(), job.tenantId(), Instant.now(), "test")))).get();
    }

    private static TrainingEvent awaitEvent(Predicate<TrainingEvent> match, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < deadline) {
            for (TrainingEvent e : events) {
                if (match.test(e)) {
                    return e;
                }
            }
            Thread.sleep(200);
        }
        fail("no such event within " + seconds + " s; events so far: " + events + "\nworker logs under " + WORK);
        return null;
    }

    private static void startEventReader() {
        Properties p = new Properties();
        p.put("bootstrap.servers", BOOTSTRAP);
        p.put("enable.auto.commit", "false");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = List.of(new TopicPartition(EVENTS, 0), new TopicPartition(ADAPTERS, 0));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        eventReader = new Thread(() -> {
            try (consumer) {
                while (reading) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.topic().equals(EVENTS)) {
                            events.add(MessageCodec.TRAINING_EVENTS.decode(r.value()));
                        } else if (r.value() != null) {
                            adapters.add(MessageCodec.ADAPTERS.decode(r.value()));
                        }
                    }
                }
            }
        }, "it-events");
        eventReader.setDaemon(true);
        eventReader.start();
    }

    private static void startWorker() throws IOException {
        int index = workers.size();
        Path log = WORK.resolve("worker-" + index + ".log");
        Path jar = MODULE.resolve("target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: run the integration tests with mvn verify");
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.offline=true", "-Dquarkus.http.port=0",
                "-Dtooltune.trainer.bootstrap-servers=" + BOOTSTRAP,
                "-Dtooltune.trainer.topics.jobs=" + JOBS, "-Dtooltune.trainer.topics.cancels=" + CANCELS,
                "-Dtooltune.trainer.topics.events=" + EVENTS, "-Dtooltune.trainer.topics.adapters=" + ADAPTERS,
                "-Dtooltune.trainer.group=it-trainers-" + RUN, "-Dtooltune.trainer.lock-duration=PT15S",
                "-Dtooltune.trainer.lock-renewal=PT3S", "-Dtooltune.trainer.delivery-limit=3", "-Dtooltune.trainer.retry-backoff=PT1S",
                "-Dtooltune.trainer.dataset-service-url=" + datasetUrl,
                "-Dtooltune.trainer.artifacts=" + WORK.resolve("artifacts"),
                "-Dtooltune.trainer.work-directory=" + WORK.resolve("work-" + index),
                "-Dtooltune.trainer.checkpoint-every=2", "-Dtooltune.trainer.device=cpu",
                "-Dtooltune.trainer.progress-interval=PT0S", "-Dtooltune.trainer.eval-examples=2",
                "-Dtooltune.trainer.eval-max-new-tokens=4"));
        String cache = System.getProperty("tooltune.cache");
        if (cache != null && !cache.isBlank()) {
            command.add("-Dtooltune.cache=" + cache);
        }
        command.addAll(List.of("-jar", jar.toString()));
        Process worker = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        workers.add(worker);
        workerLogs.add(log);
    }

    private static void startDatasetService() throws Exception {
        Path jar = MODULE.resolve("../dataset-service/target/quarkus-app/quarkus-run.jar").normalize();
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build dataset-service first (mvn verify builds it before this module)");
        // Overridable, so that a run beside another branch's dataset-service (other migrations) can use its own database.
        String database = System.getProperty("tooltune.trainer.it.database", "tooltune_trainer_test");
        assertTrue(database.matches("[a-z0-9_]+"), "tooltune.trainer.it.database must be lower-case letters, digits, '_'");
        try (var connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             var statement = connection.createStatement()) {
            var exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'");
            if (!exists.next()) {
                statement.execute("CREATE DATABASE " + database);
            }
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        datasetUrl = "http://127.0.0.1:" + port;
        datasetService = new ProcessBuilder(java(), "-Xmx512m", "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.jdbc.url=jdbc:postgresql://127.0.0.1:5432/" + database,
                "-Dtooltune.dataset.tokens.count-after-import=false", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(WORK.resolve("dataset-service.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(datasetUrl + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            assertTrue(datasetService.isAlive(), "dataset-service exited; see " + WORK.resolve("dataset-service.log"));
            Thread.sleep(500);
        }
        fail("dataset-service did not become ready; see " + WORK.resolve("dataset-service.log"));
    }

    /** A dataset of six examples from samples/, version 1, frozen. */
    private static String importFrozenDataset() throws Exception {
        String created = post("/datasets", "{\"name\":\"trainer-it-" + RUN + "\",\"description\":\"trainer IT\"}", 201);
        Matcher id = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(created);
        assertTrue(id.find(), created);
        List<String> lines = Files.readAllLines(MODULE.resolve("../samples/tool-calling-sample.jsonl").normalize()).subList(0, 6);
        post("/datasets/" + id.group(1) + "/imports?mode=strict&wait=true", String.join("\n", lines) + "\n", 201);
        post("/datasets/" + id.group(1) + "/versions/1/freeze", "", 200);
        return id.group(1);
    }

    private static String post(String path, String body, int expected) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(datasetUrl + path))
                .header("Content-Type", path.contains("/imports") ? "application/x-ndjson" : "application/json")
                .header("X-Tooltune-Tenant", TENANT)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, response.statusCode(), path + ": " + response.body());
        return response.body();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
