package dev.tooltune.gateway.tenancy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Creates and checks API keys. A key is {@code tt-} followed by 256 random bits (base64url, 43 characters); only
 * its SHA-256 is stored. A fast hash is enough here, unlike for passwords: slow hashes (bcrypt, argon2) exist to make
 * guessing low-entropy secrets expensive, but nobody can enumerate 2^256 keys at any hash speed, so a leaked table
 * gives nothing usable; and an unsalted, deterministic hash lets each request find its key by an index lookup.
 * {@code scripts/admin.sh} creates keys the same way (openssl/sha256sum), so both stay in step.
 */
@ApplicationScoped
public class ApiKeys {
    public static final String PREFIX = "tt-";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The key's text, shown once, and the stored row. */
    public record Created(String key, ApiKey stored) {
    }

    @Transactional
    public Created create(String tenantId) {
        if (tenantId == null || !Tenant.ID.matcher(tenantId).matches()) {
            throw new IllegalArgumentException("tenant must be 1 to 128 letters, digits, '.', '_' or '-' (was "
                    + tenantId + ")");
        }
        if (Tenant.findById(tenantId) == null) {
            Tenant tenant = new Tenant();
            tenant.id = tenantId;
            tenant.createdAt = Instant.now();
            tenant.persist();
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        ApiKey row = new ApiKey();
        byte[] handle = new byte[8];
        RANDOM.nextBytes(handle);
        row.id = "key_" + HexFormat.of().formatHex(handle);
        row.tenantId = tenantId;
        row.keyHash = hash(key);
        row.keyPrefix = key.substring(0, 10);
        row.createdAt = Instant.now();
        row.persist();
        return new Created(key, row);
    }

    /** The live (not revoked) key with this text. */
    @Transactional
    public Optional<ApiKey> find(String key) {
        if (key == null || !key.startsWith(PREFIX) || key.length() > 200) {
            return Optional.empty();
        }
        return ApiKey.<ApiKey>find("keyHash = ?1 and revokedAt is null", hash(key)).firstResultOptional();
    }

    @Transactional
    public boolean revoke(String keyId) {
        return ApiKey.update("revokedAt = ?1 where id = ?2 and revokedAt is null", Instant.now(), keyId) > 0;
    }

    /** Lowercase hex SHA-256 of the key's UTF-8 bytes: what {@code sha256sum} prints for it. */
    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
