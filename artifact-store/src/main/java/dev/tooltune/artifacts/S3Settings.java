package dev.tooltune.artifacts;

import java.net.URI;
import java.util.Optional;
import java.util.function.Function;

/**
 * How to reach an S3-compatible store: everything but the bucket and prefix, which the {@code s3://bucket/prefix}
 * location names. Each setting is read from a JVM system property or, failing that, the environment variable:
 *
 * <ul>
 *   <li>{@code tooltune.artifacts.s3.endpoint} / {@code TOOLTUNE_ARTIFACTS_S3_ENDPOINT}: the endpoint URL of a
 *       non-AWS server (MinIO, Ceph, S3Proxy, ...); unset means AWS S3 itself.</li>
 *   <li>{@code tooltune.artifacts.s3.region} / {@code TOOLTUNE_ARTIFACTS_S3_REGION}: the signing region; unset means
 *       the AWS SDK's region chain (AWS_REGION, profile), else {@code us-east-1}.</li>
 *   <li>{@code tooltune.artifacts.s3.path-style} / {@code TOOLTUNE_ARTIFACTS_S3_PATH_STYLE}: {@code true} addresses
 *       buckets as {@code endpoint/bucket} instead of {@code bucket.endpoint} (most non-AWS servers need it).</li>
 *   <li>{@code tooltune.artifacts.s3.access-key-id} and {@code tooltune.artifacts.s3.secret-access-key} /
 *       {@code TOOLTUNE_ARTIFACTS_S3_ACCESS_KEY_ID} and {@code TOOLTUNE_ARTIFACTS_S3_SECRET_ACCESS_KEY}: explicit
 *       credentials; unset means the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID, profiles, web identity,
 *       container and instance roles).</li>
 * </ul>
 */
public record S3Settings(
        Optional<URI> endpoint,
        Optional<String> region,
        boolean pathStyle,
        Optional<String> accessKeyId,
        Optional<String> secretAccessKey) {

    public S3Settings {
        if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
            throw new IllegalArgumentException("tooltune.artifacts.s3.access-key-id and "
                    + "tooltune.artifacts.s3.secret-access-key (TOOLTUNE_ARTIFACTS_S3_ACCESS_KEY_ID, "
                    + "TOOLTUNE_ARTIFACTS_S3_SECRET_ACCESS_KEY) must be set together or not at all");
        }
    }

    /** AWS S3 with the SDK's default region and credentials. */
    public static S3Settings defaults() {
        return new S3Settings(Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty());
    }

    /** The settings from system properties, then environment variables. */
    public static S3Settings fromEnvironment() {
        return from(name -> {
            String property = System.getProperty("tooltune.artifacts.s3." + name);
            if (property != null) {
                return property;
            }
            return System.getenv("TOOLTUNE_ARTIFACTS_S3_" + name.toUpperCase().replace('-', '_'));
        });
    }

    /** The settings named {@code endpoint, region, path-style, access-key-id, secret-access-key} in {@code lookup}. */
    public static S3Settings from(Function<String, String> lookup) {
        Function<String, Optional<String>> get =
                name -> Optional.ofNullable(lookup.apply(name)).map(String::strip).filter(v -> !v.isEmpty());
        Optional<URI> endpoint = get.apply("endpoint").map(value -> {
            URI uri;
            try {
                uri = URI.create(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tooltune.artifacts.s3.endpoint (TOOLTUNE_ARTIFACTS_S3_ENDPOINT)="
                        + value + " is not a URL: " + e.getMessage());
            }
            if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
                throw new IllegalArgumentException("tooltune.artifacts.s3.endpoint (TOOLTUNE_ARTIFACTS_S3_ENDPOINT)="
                        + value + " must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000");
            }
            return uri;
        });
        boolean pathStyle = get.apply("path-style").map(value -> switch (value.toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("tooltune.artifacts.s3.path-style "
                    + "(TOOLTUNE_ARTIFACTS_S3_PATH_STYLE)=" + value + " must be true or false");
        }).orElse(false);
        return new S3Settings(endpoint, get.apply("region"), pathStyle,
                get.apply("access-key-id"), get.apply("secret-access-key"));
    }

    @Override
    public String toString() { // never print the secret
        return "S3Settings[endpoint=" + endpoint.map(URI::toString).orElse("AWS") + ", region=" + region.orElse("default")
                + ", pathStyle=" + pathStyle + ", credentials=" + (accessKeyId.isPresent() ? "explicit" : "default chain")
                + "]";
    }
}
