package dev.tooltune.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Artifacts as objects in an S3-compatible bucket, under {@code s3://bucket/prefix/}.
 *
 * <p>S3 has no rename, so publishing never overwrites the files a reader may be fetching: each publish uploads its
 * files under a fresh generation, {@code prefix/key/.g-<uuid>/<file>}, and then writes {@code prefix/key/manifest.json}
 * (one PUT, atomic for readers) whose object metadata {@value #GENERATION_HEADER} names that generation. A reader
 * therefore sees the old artifact or the new one, never a mix; the replaced generation is deleted afterwards. A
 * publish that dies before its manifest leaves an orphaned generation that no reader ever sees.
 */
public final class S3ArtifactStore implements ArtifactStore, AutoCloseable {

    /** User metadata on the manifest object: the generation folder its files are in. */
    static final String GENERATION_HEADER = "tooltune-generation";

    private final S3Client s3;
    private final String bucket;
    private final String prefix; // "" or "a/b" (no slashes at either end)

    public S3ArtifactStore(S3Client s3, String bucket, String prefix) {
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("S3 bucket '" + bucket + "' is not a valid bucket name "
                    + "(3-63 lower-case letters, digits, '.', '-')");
        }
        String trimmed = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        if (!trimmed.isEmpty()) {
            ArtifactStore.checkKey(trimmed);
        }
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = trimmed;
    }

    /** Opens {@code s3://bucket[/prefix]} with a client built from {@code settings}. */
    public static S3ArtifactStore open(URI location, S3Settings settings) {
        if (!"s3".equals(location.getScheme()) || location.getHost() == null) {
            throw new IllegalArgumentException(location + " is not an s3://bucket[/prefix] location");
        }
        return new S3ArtifactStore(client(settings), location.getHost(), location.getPath());
    }

    /** An S3 client for {@code settings}: synchronous, over the JDK's HTTP client. */
    public static S3Client client(S3Settings settings) {
        AwsCredentialsProvider credentials = settings.accessKeyId().isPresent()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        settings.accessKeyId().get(), settings.secretAccessKey().orElseThrow()))
                : DefaultCredentialsProvider.builder().build();
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(credentials)
                .region(settings.region().map(Region::of).orElseGet(S3ArtifactStore::defaultRegion))
                .forcePathStyle(settings.pathStyle())
                // Manifest SHA-256s already guard the content; the SDK's newer default CRC trailers (aws-chunked
                // uploads) are not understood by every S3-compatible server.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        settings.endpoint().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static Region defaultRegion() {
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkException e) {
            return Region.US_EAST_1;
        }
    }

    public String bucket() {
        return bucket;
    }

    public String prefix() {
        return prefix;
    }

    @Override
    public URI publish(String key, Path directory, Map<String, String> metadata) throws IOException {
        ArtifactStore.checkKey(key);
        Manifest manifest = Manifest.of(directory, metadata);
        Optional<String> replaced = currentGeneration(key);
        String generation = ".g-" + UUID.randomUUID();
        try {
            for (String name : manifest.files().keySet()) {
                s3.putObject(put -> put.bucket(bucket).key(objectKey(key, generation, name)),
                        RequestBody.fromFile(directory.resolve(name)));
            }
            s3.putObject(put -> put.bucket(bucket).key(manifestKey(key)).contentType("application/json")
                            .metadata(Map.of(GENERATION_HEADER, generation)),
                    RequestBody.fromBytes(manifest.toJson()));
        } catch (SdkException e) {
            deleteGenerationQuietly(key, generation);
            throw new IOException("could not publish " + uriOf(key) + ": " + e.getMessage(), e);
        }
        replaced.ifPresent(old -> deleteGenerationQuietly(key, old));
        return uriOf(key);
    }

    @Override
    public Optional<Manifest> manifest(String key) throws IOException {
        ArtifactStore.checkKey(key);
        return readManifest(key).map(Stored::manifest);
    }

    @Override
    public Manifest fetch(URI uri, Path target) throws IOException {
        String key = keyOf(uri);
        Stored stored = readManifest(key).orElseThrow(
                () -> new CorruptArtifactException("no artifact at " + uri + " (no " + MANIFEST + ")"));
        Files.createDirectories(target);
        for (String name : stored.manifest().files().keySet()) {
            Path copy = target.resolve(name);
            Path partial = target.resolve("." + name + ".partial-" + UUID.randomUUID());
            try {
                try (InputStream in = s3.getObject(get -> get.bucket(bucket)
                        .key(objectKey(key, stored.generation(), name)))) {
                    Files.copy(in, partial);
                } catch (NoSuchKeyException e) {
                    throw new CorruptArtifactException(name + " of " + uri + " is missing from the store "
                            + "(replaced or deleted while being fetched?)");
                } catch (SdkException e) {
                    throw new IOException("could not fetch " + name + " of " + uri + ": " + e.getMessage(), e);
                }
                stored.manifest().verify(name, partial);
                Files.move(partial, copy, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return stored.manifest();
    }

    @Override
    public void delete(String key) throws IOException {
        ArtifactStore.checkKey(key);
        Optional<String> generation = currentGeneration(key);
        try {
            s3.deleteObject(delete -> delete.bucket(bucket).key(manifestKey(key)));
        } catch (SdkException e) {
            throw new IOException("could not delete " + uriOf(key) + ": " + e.getMessage(), e);
        }
        generation.ifPresent(g -> deleteGenerationQuietly(key, g));
    }

    @Override
    public URI uriOf(String key) {
        ArtifactStore.checkKey(key);
        return URI.create("s3://" + bucket + "/" + base(key) + "/");
    }

    @Override
    public boolean isReachable() {
        try {
            s3.headBucket(head -> head.bucket(bucket));
            return true;
        } catch (SdkException e) {
            return false;
        }
    }

    @Override
    public void close() {
        s3.close();
    }

    /** The artifact key of one of this store's URIs. */
    String keyOf(URI uri) {
        String root = "s3://" + bucket + "/" + (prefix.isEmpty() ? "" : prefix + "/");
        String text = uri.toString();
        if (!"s3".equals(uri.getScheme()) || !text.startsWith(root)) {
            throw new IllegalArgumentException(uri + " is not in this store (" + root + ")");
        }
        String key = text.substring(root.length()).replaceAll("/+$", "");
        ArtifactStore.checkKey(key);
        return key;
    }

    private record Stored(Manifest manifest, String generation) {}

    private Optional<Stored> readManifest(String key) throws IOException {
        byte[] json;
        GetObjectResponse response;
        try (ResponseInputStream<GetObjectResponse> in =
                     s3.getObject(get -> get.bucket(bucket).key(manifestKey(key)))) {
            json = in.readAllBytes();
            response = in.response();
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw new IOException("could not read " + uriOf(key) + MANIFEST + ": " + e.getMessage(), e);
        }
        String generation = response.metadata().get(GENERATION_HEADER);
        if (generation == null || !generation.matches("\\.g-[0-9a-f-]{36}")) {
            throw new CorruptArtifactException(uriOf(key) + MANIFEST + " does not name its files' generation ("
                    + GENERATION_HEADER + " metadata is " + generation + ")");
        }
        return Optional.of(new Stored(Manifest.fromJson(json), generation));
    }

    private Optional<String> currentGeneration(String key) throws IOException {
        try {
            return Optional.ofNullable(s3.headObject(head -> head.bucket(bucket).key(manifestKey(key)))
                    .metadata().get(GENERATION_HEADER));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw new IOException("could not read " + uriOf(key) + MANIFEST + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("could not read " + uriOf(key) + MANIFEST + ": " + e.getMessage(), e);
        }
    }

    /** Best effort: a generation left behind is invisible to readers, only wasted space. */
    private void deleteGenerationQuietly(String key, String generation) {
        String folder = base(key) + "/" + generation + "/";
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object object : s3.listObjectsV2Paginator(list -> list.bucket(bucket).prefix(folder)).contents()) {
                keys.add(object.key());
            }
            for (String objectKey : keys) {
                s3.deleteObject(delete -> delete.bucket(bucket).key(objectKey));
            }
        } catch (SdkException e) {
            // left for a later cleanup; readers never see it
        }
    }

    private String base(String key) {
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    private String manifestKey(String key) {
        return base(key) + "/" + MANIFEST;
    }

    private String objectKey(String key, String generation, String name) {
        return base(key) + "/" + generation + "/" + name;
    }
}
