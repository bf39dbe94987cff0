package io.hedgerow.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A provider credential. {@link #toString()} never shows the value: keys are named in logs, metrics and
 * status by {@link #label()}, which is the configured label or a short non-reversible id of the value.
 */
public final class ApiKey {
    private final String label;
    private final String value;

    private ApiKey(String label, String value) {
        this.label = label;
        this.value = value;
    }

    /** A key with an explicit label. */
    public static ApiKey of(String label, String value) {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(value, "value");
        return new ApiKey(label, value);
    }

    /** A key labelled by the first 8 hex digits of its SHA-256: stable, short, and not the key. */
    public static ApiKey unlabelled(String value) {
        Objects.requireNonNull(value, "value");
        return new ApiKey("key-" + shortHash(value), value);
    }

    public String label() {
        return label;
    }

    /** The secret itself: for request headers only. */
    public String value() {
        return value;
    }

    static String shortHash(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiKey other && label.equals(other.label) && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, value);
    }

    @Override
    public String toString() {
        return "ApiKey[" + label + "]";
    }
}
