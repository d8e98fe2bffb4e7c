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
import dev.tooltune.model.checkpoint.SafetensorsFile;
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
    private static final int JOB_PARTITIONS = 3;
    private static final String CANCELS = "it-cancels-" + RUN;
    private static final String EVENTS = "it-events-" + RUN;
    private static final String ADAPTERS = "it-adapters-" + RUN;
    private static final String GATEWAY_TOPICS = "it-gateway-" + RUN + "-";
    private static final String TENANT = "acme-" + RUN;
    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path WORK = MODULE.resolve("target/it-" + RUN);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Process datasetService;
    private static String datasetUrl;
    private static Process gateway;
    private static String gatewayUrl;
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
            a.createTopics(List.of(new NewTopic(JOBS, JOB_PARTITIONS, (short) 1), new NewTopic(CANCELS, 1, (short) 1),
                    new NewTopic(EVENTS, 1, (short) 1),
                    new NewTopic(ADAPTERS, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    // the gateway's own topics: it only keeps the claims here, its job registry stays empty
                    new NewTopic(GATEWAY_TOPICS + "jobs", 1, (short) 1), new NewTopic(GATEWAY_TOPICS + "cancels", 1, (short) 1),
                    new NewTopic(GATEWAY_TOPICS + "events", 1, (short) 1), new NewTopic(GATEWAY_TOPICS + "adapters", 1, (short) 1)))
                    .all().get();
        }
        producer = new KafkaProducer<>(admin, new StringSerializer(), new ByteArraySerializer());
        startEventReader();
        startDatasetService();
        startGateway();
        datasetId = importFrozenDataset();
        startWorker();
        startWorker();
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process worker : workers) {
            worker.destroyForcibly();
        }
        for (Process service : new Process[] {datasetService, gateway}) {
            if (service != null) {
                service.destroy();
                service.waitFor();
            }
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
    void aPoisonJobFailsWithAReasonAndTheJobBehindItTrains() throws Exception {
        TrainingJob poison = job("poison", 1, new DatasetRef("999999", 1));
        TrainingJob good = job("good", 1, new DatasetRef(datasetId, 1));
        submit(poison);
        submit(good);

        JobFailed failed = (JobFailed) awaitEvent(e -> e instanceof JobFailed && e.jobId().equals(poison.jobId()), 120);
        assertEquals(FailureKind.INVALID_DATASET, failed.reason());
        assertTrue(failed.message().contains("999999"), failed.message());

        JobSucceeded succeeded = (JobSucceeded) awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(good.jobId()), 300);
        assertTrue(succeeded.metrics().containsKey("eval_loss_after"), "metrics: " + succeeded.metrics());
        assertTrue(succeeded.metrics().containsKey("tool_call_exact_match_before"), "metrics: " + succeeded.metrics());
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

    /** The gateway's claims, raw: of eight owners asking at once one wins; renewals keep the epoch, takeovers raise it. */
    @Test
    @Order(2)
    void theGatewayGrantsAClaimToOneOwnerAtATime() throws Exception {
        String jobId = "job-claims-" + RUN;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> answers = new ArrayList<>();
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < 8; i++) {
                String owner = "owner-" + i;
                answers.add(pool.submit(() -> {
                    start.await();
                    return putClaim(jobId, owner, 60_000);
                }));
            }
            start.countDown();
            List<String> granted = new ArrayList<>();
            for (var answer : answers) {
                HttpResponse<String> response = answer.get();
                assertTrue(response.statusCode() == 200 || response.statusCode() == 409, response.body());
                if (response.statusCode() == 200) {
                    granted.add(response.body());
                }
            }
            assertEquals(1, granted.size(), "claims granted at once: " + granted);
        } finally {
            pool.shutdownNow();
        }
        String other = "late-" + RUN;
        String job2 = jobId + "-2";
        HttpResponse<String> first = putClaim(job2, "a", 1000);
        assertEquals(200, first.statusCode(), first.body());
        assertTrue(first.body().contains("\"epoch\":1"), first.body());
        assertEquals(409, putClaim(job2, other, 1000).statusCode());
        assertTrue(putClaim(job2, "a", 1000).body().contains("\"epoch\":1"), "a renewal keeps the epoch");
        Thread.sleep(1500);
        HttpResponse<String> takeover = putClaim(job2, other, 60_000);
        assertEquals(200, takeover.statusCode(), "an expired claim is taken over: " + takeover.body());
        assertTrue(takeover.body().contains("\"epoch\":2"), takeover.body());
        assertEquals(409, putClaim(job2, "a", 1000).statusCode(), "the old owner is fenced off");
        assertEquals(204, HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/internal/training-claims/" + job2
                + "?owner=" + other)).DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, putClaim(job2, "a", 1000).statusCode(), "a released claim is free");
        assertEquals(400, putClaim(job2, "a", 10).statusCode(), "a ttl under a second is refused");
    }

    private static HttpResponse<String> putClaim(String jobId, String owner, long ttlMillis) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/internal/training-claims/" + jobId))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"owner\":\"" + owner + "\",\"ttlMillis\":" + ttlMillis + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The same job delivered to both (idle) workers at once, as when the gateway's outbox relays it twice into a
     * partition that several workers share (more workers than partitions). The share group gives each partition here
     * to one of the two workers, so the copies go to every partition: both workers take one at the same moment. One
     * worker claims and trains the job; the other finds the claim held and renewed and logs that it skips the
     * duplicate. Exactly one training run: one validating event, one strictly increasing series of steps, one
     * success, one adapter, and the skipping worker trained nothing.
     */
    @Test
    @Order(3)
    void twoDeliveriesOfOneJobAtTheSameMomentTrainItOnceAndTheDuplicateIsSkipped() throws Exception {
        TrainingJob job = job("duplicate", 2, new DatasetRef(datasetId, 1));
        int eventsBefore = events.size();
        for (int partition = 0; partition < JOB_PARTITIONS; partition++) {
            producer.send(new ProducerRecord<>(JOBS, partition, job.jobId(), MessageCodec.TRAINING_JOBS.encode(job))).get();
        }
        Pattern skipped = Pattern.compile("job " + Pattern.quote(job.jobId())
                + " \\(delivery \\d+\\): duplicate delivery skipped: (\\S+) holds its claim");
        awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId()), 400);
        // Usually both workers take a copy at once and the claim makes one skip (one claim expiry, 15 s, later). On a
        // slow machine the share group may hand the second copy over only after the run finished: then the published
        // adapter makes it skip, answering with a success that trained nothing. Either way exactly one run trains.
        java.util.function.Supplier<List<TrainingEvent>> ofJobNow = () -> events.subList(eventsBefore, events.size())
                .stream().filter(e -> e.jobId().equals(job.jobId())).toList();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (countInLogs(skipped) == 0 && ofJobNow.get().stream().filter(e -> e instanceof JobSucceeded s
                && s.trainedTokens() == null).count() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        List<TrainingEvent> ofJob = ofJobNow.get();
        long lateSkips = ofJob.stream().filter(e -> e instanceof JobSucceeded s && s.trainedTokens() == null).count();
        assertTrue(countInLogs(skipped) >= 1 || lateSkips >= 1, "the duplicate delivery was skipped: " + ofJob);
        assertEquals(1, ofJob.stream().filter(e -> e instanceof JobValidating).count(), "one training run: " + ofJob);
        List<Long> steps = ofJob.stream().filter(e -> e instanceof JobRunning).map(e -> ((JobRunning) e).step()).toList();
        for (int i = 1; i < steps.size(); i++) {
            assertTrue(steps.get(i) > steps.get(i - 1), "two runs interleaved their steps: " + steps);
        }
        assertEquals(1, ofJob.stream().filter(e -> e instanceof JobSucceeded s && s.trainedTokens() != null).count(),
                "one success that trained: " + ofJob);
        assertEquals(1, adapters.stream().filter(a -> a.jobId().equals(job.jobId())).map(Adapter::adapterId).distinct()
                .count(), "one adapter (a late duplicate may publish its record again)");
        // exactly one worker trained the job
        String trained = "job " + job.jobId() + ": checkpoint at step";
        int trainers = 0;
        for (int i = 0; i < workers.size(); i++) {
            trainers += Files.readString(workerLogs.get(i)).contains(trained) ? 1 : 0;
        }
        assertEquals(1, trainers, "workers that trained the job");
    }

    @Test
    @Order(4)
    void aCancelStopsARunningJobAndAJobCancelledBeforeItStartsNeverRuns() throws Exception {
        TrainingJob early = job("cancel-early", 1, new DatasetRef(datasetId, 1));
        cancel(early);
        submit(early);
        JobCancelled before = (JobCancelled) awaitEvent(e -> e instanceof JobCancelled && e.jobId().equals(early.jobId()), 120);
        assertEquals("cancelled before it started", before.message());
        // One worker publishes a delivery's events in order on one partition: had the job been checked or trained,
        // its validating, queued or running events would be here before the cancelled one.
        List<TrainingEvent> ofEarly = events.stream().filter(e -> e.jobId().equals(early.jobId())).toList();
        assertEquals(List.of(before), ofEarly, "a job cancelled before it started is never validated nor run");

        TrainingJob running = job("cancel-running", 200, new DatasetRef(datasetId, 1));
        submit(running);
        awaitEvent(e -> e instanceof JobRunning r && r.jobId().equals(running.jobId()) && r.step() >= 1, 300);
        cancel(running);
        awaitEvent(e -> e instanceof JobCancelled && e.jobId().equals(running.jobId()), 120);
        assertEquals(0, events.stream().filter(e -> e instanceof JobSucceeded && e.jobId().equals(running.jobId())).count());
    }

    @Test
    @Order(5)
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
        int runningBeforeKill = events.size();
        Matcher last = checkpoint.matcher(Files.readString(workerLogs.get(holder)));
        while (last.find()) {
            checkpointStep = Integer.parseInt(last.group(1)); // it may have stored one more before the kill landed
        }
        int killedAfterCheckpoint = checkpointStep;

        awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId()), 400);
        // the other worker re-read the checkpoint: the first step of the next delivery is the one after it (events
        // the killed worker sent before it died may still arrive after the kill, so count from the redelivery on)
        int redelivered = -1;
        for (int i = runningBeforeKill; i < events.size() && redelivered < 0; i++) {
            if (events.get(i) instanceof JobValidating v && v.jobId().equals(job.jobId())) {
                redelivered = i;
            }
        }
        assertTrue(redelivered >= 0, "no validating event of the redelivery: " + events);
        List<Long> resumedSteps = events.subList(redelivered, events.size()).stream()
                .filter(e -> e instanceof JobRunning r && r.jobId().equals(job.jobId())).map(e -> ((JobRunning) e).step()).toList();
        assertTrue(!resumedSteps.isEmpty(), "no progress after the kill");
        // another worker loaded the killed worker's last checkpoint (the one it logged, or one stored in the instant
        // between storing and logging before the kill) and went on right after it
        Pattern resuming = Pattern.compile("job " + Pattern.quote(job.jobId()) + ": resuming from checkpoint-(\\d+)");
        int loaded = -1;
        for (int i = 0; i < workers.size(); i++) {
            Matcher m = resuming.matcher(Files.readString(workerLogs.get(i)));
            if (i != holder && m.find()) {
                loaded = Integer.parseInt(m.group(1));
            }
        }
        assertTrue(loaded >= killedAfterCheckpoint && loaded <= killedAfterCheckpoint + 2, "no other worker resumed from "
                + "the checkpoint of step " + killedAfterCheckpoint + " (loaded: " + loaded + "); logs under " + WORK);
        assertEquals(loaded + 1, resumedSteps.get(0), "the redelivery goes on right after the checkpoint it loaded: " + resumedSteps);
        for (int i = 1; i < resumedSteps.size(); i++) {
            assertTrue(resumedSteps.get(i) > resumedSteps.get(i - 1), "a step was repeated: " + resumedSteps);
        }
        assertEquals(1, events.stream().filter(e -> e instanceof JobSucceeded && e.jobId().equals(job.jobId())).count());
        assertEquals(1, adapters.stream().filter(a -> a.jobId().equals(job.jobId())).count());
        // the adapter the resumed run finished is the one an uninterrupted run (same seed, same data) trains
        TrainingJob uninterrupted = job("killed-reference", 4, new DatasetRef(datasetId, 1));
        submit(uninterrupted);
        awaitEvent(e -> e instanceof JobSucceeded && e.jobId().equals(uninterrupted.jobId()), 400);
        Map<String, float[]> resumed = adapterWeights(job);
        Map<String, float[]> reference = adapterWeights(uninterrupted);
        assertEquals(reference.keySet(), resumed.keySet());
        double largestB = 0; // lora_B starts at zero: nonzero only where training moved it
        for (String name : reference.keySet()) {
            float[] a = reference.get(name);
            float[] b = resumed.get(name);
            assertEquals(a.length, b.length, name);
            for (int i = 0; i < a.length; i++) {
                largestB = name.contains("lora_B") ? Math.max(largestB, Math.abs(a[i])) : largestB;
                assertEquals(a[i], b[i], 1e-6f + 1e-5f * Math.abs(a[i]), name + "[" + i + "]: resumed != uninterrupted");
            }
        }
        assertTrue(largestB > 0, "lora_B is still zero: the comparison would prove nothing");
    }

    /** The LoRA tensors of a job's published adapter, fetched (and verified) from the store. */
    private static Map<String, float[]> adapterWeights(TrainingJob job) throws IOException {
        Adapter adapter = adapters.stream().filter(a -> a.jobId().equals(job.jobId())).findFirst().orElseThrow();
        Path fetched = WORK.resolve("fetched-" + adapter.adapterId());
        new DirectoryArtifactStore(WORK.resolve("artifacts")).fetch(URI.create(adapter.artifactUri()), fetched);
        Map<String, float[]> weights = new java.util.TreeMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(fetched.resolve(PeftAdapterFiles.WEIGHTS_FILE))) {
            for (String name : file.tensors().keySet()) {
                weights.put(name, file.readFloats(name));
            }
        }
        return weights;
    }

    @Test
    @Order(6)
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
    @Order(7)
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

    /** Waits until a worker's log matches {@code pattern}; returns that worker's index. */
    private static int awaitLog(Pattern pattern, int seconds) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < workerLogs.size(); i++) {
                if (pattern.matcher(Files.readString(workerLogs.get(i))).find()) {
                    return i;
                }
            }
            Thread.sleep(200);
        }
        fail("no worker logged " + pattern + " within " + seconds + " s; logs under " + WORK + "; events: " + events);
        return -1;
    }

    private static long countInLogs(Pattern pattern) throws IOException {
        long count = 0;
        for (Path log : workerLogs) {
            count += pattern.matcher(Files.readString(log)).results().count();
        }
        return count;
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
                "-Dtooltune.trainer.dataset-service-url=" + datasetUrl, "-Dtooltune.trainer.gateway-url=" + gatewayUrl,
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
        createDatabaseIfMissing(database);
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

    /** The gateway as a process: trainer workers claim their jobs through it (its training_claim table). */
    private static void startGateway() throws Exception {
        Path jar = MODULE.resolve("../gateway/target/quarkus-app/quarkus-run.jar").normalize();
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build the gateway first (mvn verify builds it before this module)");
        String database = System.getProperty("tooltune.trainer.it.gateway-database", "tooltune_trainer_gateway_test");
        assertTrue(database.matches("[a-z0-9_]+"), "tooltune.trainer.it.gateway-database must be lower-case letters, digits, '_'");
        createDatabaseIfMissing(database);
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        gatewayUrl = "http://127.0.0.1:" + port;
        gateway = new ProcessBuilder(java(), "-Xmx384m", "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.jdbc.url=jdbc:postgresql://127.0.0.1:5432/" + database,
                "-Dtooltune.gateway.kafka.bootstrap-servers=" + BOOTSTRAP,
                "-Dtooltune.gateway.kafka.events-group=it-gateway-" + RUN,
                "-Dtooltune.gateway.topics.training-jobs=" + GATEWAY_TOPICS + "jobs",
                "-Dtooltune.gateway.topics.training-cancels=" + GATEWAY_TOPICS + "cancels",
                "-Dtooltune.gateway.topics.training-events=" + GATEWAY_TOPICS + "events",
                "-Dtooltune.gateway.topics.adapters=" + GATEWAY_TOPICS + "adapters",
                "-Dtooltune.gateway.dataset-service.url=" + datasetUrl, "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(WORK.resolve("gateway.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                // answers 404 (no such claim) once the claims resource and its table are up
                if (HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl + "/internal/training-claims/none?owner=it"))
                        .DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 404) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            assertTrue(gateway.isAlive(), "the gateway exited; see " + WORK.resolve("gateway.log"));
            Thread.sleep(500);
        }
        fail("the gateway did not become ready; see " + WORK.resolve("gateway.log"));
    }

    private static void createDatabaseIfMissing(String database) throws Exception {
        try (var connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
             var statement = connection.createStatement()) {
            var exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'");
            if (!exists.next()) {
                statement.execute("CREATE DATABASE " + database);
            }
        }
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
