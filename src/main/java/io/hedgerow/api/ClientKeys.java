package io.hedgerow.api;

import io.hedgerow.config.ClientKey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Tells who a bearer key belongs to, knowing only the keys' SHA-256. The presented key is hashed once and compared
 * with every configured hash by {@link MessageDigest#isEqual} (constant time for equal lengths), without stopping
 * at a match, so the time taken says nothing about which key, or how much of one, matched. Reusable for any key
 * configured by its hash (an admin key, for instance).
 */
public final class ClientKeys {
    private final List<ClientKey> keys;
    private final byte[][] digests;

    public ClientKeys(List<ClientKey> keys) {
        this.keys = List.copyOf(keys);
        this.digests = new byte[this.keys.size()][];
        for (int i = 0; i < digests.length; i++) {
            digests[i] = this.keys.get(i).digest();
        }
    }

    /** Whether any key is configured. */
    public boolean required() {
        return !keys.isEmpty();
    }

    /** The client whose key this is, if any. */
    public Optional<ClientKey> identify(String presented) {
        Objects.requireNonNull(presented, "presented");
        byte[] digest = sha256(presented);
        ClientKey match = null;
        for (int i = 0; i < digests.length; i++) {
            // No early exit: every hash is compared whatever the outcome.
            if (MessageDigest.isEqual(digest, digests[i]) & match == null) {
                match = keys.get(i);
            }
        }
        return Optional.ofNullable(match);
    }

    /** The key's SHA-256 in lower-case hex: what {@code hedgerow hash-key} prints and config stores. */
    public static String hash(String key) {
        return HexFormat.of().formatHex(sha256(key));
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
