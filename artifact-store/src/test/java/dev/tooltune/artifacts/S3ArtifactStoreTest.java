package dev.tooltune.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link S3ArtifactStore} against a real S3 server: S3Proxy in this JVM on a random loopback port, over jclouds'
 * in-memory blob store, with AWS signature v4 authentication, reached through the same settings a deployment uses.
 */
class S3ArtifactStoreTest {

    private static final String ACCESS_KEY = "tooltune-test";
    private static final String SECRET_KEY = "tooltune-test-secret";

    private static S3Proxy s3proxy;
    private static BlobStoreContext blobs;
    private static S3Settings settings;
    private static S3Client admin;

    @TempDir
    Path temp;

    private String bucket;

    @BeforeAll
    static void startS3Server() throws Exception {
        blobs = ContextBuilder.newBuilder("transient").credentials("unused", "unused")
                .overrides(new Properties()).build(BlobStoreContext.class);
        s3proxy = S3Proxy.builder()
                .blobStore(blobs.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        s3proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!AbstractLifeCycle.STARTED.equals(s3proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + s3proxy.getState());
            }
            Thread.sleep(10);
        }
        settings = S3Settings.from(Map.of(
                "endpoint", "http://127.0.0.1:" + s3proxy.getPort(),
                "region", "us-east-1",
                "path-style", "true",
                "access-key-id", ACCESS_KEY,
                "secret-access-key", SECRET_KEY)::get);
        admin = S3ArtifactStore.client(settings);
    }

    @AfterAll
    static void stopS3Server() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (s3proxy != null) {
            s3proxy.stop();
        }
        if (blobs != null) {
            blobs.close();
        }
    }

    @BeforeEach
    void freshBucket() {
        bucket = "tooltune-" + UUID.randomUUID().toString().substring(0, 8);
        admin.createBucket(create -> create.bucket(bucket));
    }

    private ArtifactStore open(String location) {
        return ArtifactStores.open(location, "tooltune.artifacts.uri", () -> settings);
    }

    private Path folder(String name, String weights) throws Exception {
        Path dir = Files.createDirectories(temp.resolve(name));
        Files.writeString(dir.resolve("adapter_config.json"), "{\"r\": 8}");
        Files.writeString(dir.resolve("adapter_model.safetensors"), weights);
        return dir;
    }

    private List<String> objectKeys() {
        return admin.listObjectsV2Paginator(list -> list.bucket(bucket)).contents().stream()
                .map(S3Object::key).sorted().toList();
    }

    @Test
    void anAdapterPublishedByTheTrainerIsFetchedVerifiedByInference() throws Exception {
        // The trainer and inference each open the store from the same setting, as their services do.
        ArtifactStore trainer = open("s3://" + bucket + "/prod/artifacts");
        ArtifactStore inference = open("s3://" + bucket + "/prod/artifacts/");
        assertInstanceOf(S3ArtifactStore.class, trainer);
        assertTrue(trainer.isReachable());

        URI uri = trainer.publish("adapters/acme/adp-1", folder("a", "weights-1"), Map.of("jobId", "ftjob-1"));
        assertEquals(URI.create("s3://" + bucket + "/prod/artifacts/adapters/acme/adp-1/"), uri);
        assertEquals(trainer.uriOf("adapters/acme/adp-1"), uri);

        Manifest manifest = inference.fetch(uri, temp.resolve("copy"));
        assertEquals("ftjob-1", manifest.metadata().get("jobId"));
        assertEquals(Manifest.sha256(temp.resolve("a/adapter_model.safetensors")),
                manifest.files().get("adapter_model.safetensors").sha256());
        assertArrayEquals(Files.readAllBytes(temp.resolve("a/adapter_model.safetensors")),
                Files.readAllBytes(temp.resolve("copy/adapter_model.safetensors")));
        assertArrayEquals(Files.readAllBytes(temp.resolve("a/adapter_config.json")),
                Files.readAllBytes(temp.resolve("copy/adapter_config.json")));
        try (var copied = Files.list(temp.resolve("copy"))) {
            assertEquals(2, copied.count(), "exactly the artifact's files, no partial downloads left");
        }
        assertEquals(Optional.of(manifest.files()), inference.manifest("adapters/acme/adp-1").map(Manifest::files));
        assertTrue(objectKeys().contains("prod/artifacts/adapters/acme/adp-1/manifest.json"), objectKeys().toString());
    }

    @Test
    void republishingReplacesTheWholeArtifactAndRemovesTheOldFiles() throws Exception {
        ArtifactStore store = open("s3://" + bucket + "/ckpt");
        store.publish("checkpoints/job-1", folder("v1", "step-10"), Map.of("step", "10"));
        URI uri = store.publish("checkpoints/job-1", folder("v2", "step-20"), Map.of("step", "20"));

        Manifest manifest = store.fetch(uri, temp.resolve("copy"));
        assertEquals("20", manifest.metadata().get("step"));
        assertEquals("step-20", Files.readString(temp.resolve("copy/adapter_model.safetensors")));
        assertEquals(3, objectKeys().size(), "one manifest and the two files of the new version: " + objectKeys());
    }

    @Test
    void aTamperedFileIsRefusedAndNotLeftBehind() throws Exception {
        ArtifactStore store = open("s3://" + bucket);
        URI uri = store.publish("adapters/acme/adp-2", folder("a", "weights"), Map.of());
        String weights = objectKeys().stream().filter(k -> k.endsWith("/adapter_model.safetensors")).findFirst().orElseThrow();
        admin.putObject(put -> put.bucket(bucket).key(weights), RequestBody.fromString("weightz"));

        CorruptArtifactException e = assertThrows(CorruptArtifactException.class, () -> store.fetch(uri, temp.resolve("copy")));
        assertTrue(e.getMessage().contains("adapter_model.safetensors"), e.getMessage());
        try (var left = Files.list(temp.resolve("copy"))) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains("adapter_model")).toList(), "nothing verified-looking left behind");
        }
    }

    @Test
    void anArtifactWithoutManifestDoesNotExist() throws Exception {
        ArtifactStore store = open("s3://" + bucket + "/p");
        // Files uploaded by a publisher that died before writing the manifest.
        admin.putObject(put -> put.bucket(bucket).key("p/adapters/half/.g-" + UUID.randomUUID() + "/adapter_model.safetensors"),
                RequestBody.fromString("x"));
        assertTrue(store.manifest("adapters/half").isEmpty());
        assertThrows(CorruptArtifactException.class, () -> store.fetch(store.uriOf("adapters/half"), temp.resolve("copy")));

        store.publish("adapters/whole", folder("a", "w"), Map.of());
        assertTrue(store.manifest("adapters/whole").isPresent());
        store.delete("adapters/whole");
        assertTrue(store.manifest("adapters/whole").isEmpty());
        assertFalse(objectKeys().stream().anyMatch(k -> k.startsWith("p/adapters/whole/")), objectKeys().toString());
    }

    @Test
    void keysAndLocationsAreValidated() {
        ArtifactStore store = open("s3://" + bucket + "/p");
        assertThrows(IllegalArgumentException.class, () -> store.uriOf("../etc"));
        assertThrows(IllegalArgumentException.class, () -> store.uriOf("/abs"));
        assertThrows(IllegalArgumentException.class, () -> store.fetch(URI.create("s3://" + bucket + "/other/a/"), temp));
        assertThrows(IllegalArgumentException.class, () -> store.fetch(URI.create("s3://other-bucket/p/a/"), temp));
        assertThrows(IllegalArgumentException.class, () -> store.fetch(temp.toUri(), temp));

        IllegalArgumentException badBucket = assertThrows(IllegalArgumentException.class,
                () -> open("s3://Not_A_Bucket/p"));
        assertTrue(badBucket.getMessage().startsWith("tooltune.artifacts.uri=s3://Not_A_Bucket/p"), badBucket.getMessage());
        assertThrows(IllegalArgumentException.class, () -> open("s3:/missing-slash"));
        IllegalArgumentException badPathStyle = assertThrows(IllegalArgumentException.class,
                () -> S3Settings.from(Map.of("path-style", "yes")::get));
        assertTrue(badPathStyle.getMessage().contains("TOOLTUNE_ARTIFACTS_S3_PATH_STYLE"), badPathStyle.getMessage());
        assertThrows(IllegalArgumentException.class, () -> S3Settings.from(Map.of("endpoint", "127.0.0.1:9000")::get));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.from(Map.of("access-key-id", "only-half")::get));
    }

    @Test
    void aStoreWithWrongCredentialsIsNotReachable() throws Exception {
        S3Settings wrong = new S3Settings(settings.endpoint(), settings.region(), true,
                Optional.of(ACCESS_KEY), Optional.of("wrong-secret"));
        ArtifactStore store = ArtifactStores.open("s3://" + bucket, "tooltune.artifacts.uri", () -> wrong);
        assertFalse(store.isReachable());
        Path adapter = folder("a", "w");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> store.publish("adapters/a", adapter, Map.of()));
        assertTrue(e.getMessage().contains("s3://" + bucket + "/adapters/a/") && e.getMessage().contains("403"),
                e.getMessage());
    }
}
