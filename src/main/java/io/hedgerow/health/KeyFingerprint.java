package io.hedgerow.health;

import io.hedgerow.config.ApiKey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The identity of a key's value: SHA-256 of the value, in hex. Two {@link ApiKey}s with the same value (say,
 * one OpenAI key configured under two providers with different labels) have one fingerprint and so one
 * cooldown state: the upstream rate-limits the key, not our label for it. The health package keeps no copy
 * of a value and never prints one.
 */
record KeyFingerprint(String sha256) {

    static KeyFingerprint of(ApiKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.value().getBytes(StandardCharsets.UTF_8));
            return new KeyFingerprint(HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
