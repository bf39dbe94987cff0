package io.hedgerow.config;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A client allowed to call the router: its name (for logs and limits) and the SHA-256 of its bearer key, never
 * the key itself. {@code hedgerow hash-key} prints the hash of a key.
 *
 * @param name      who it is, e.g. {@code laptop} or {@code night-agents}
 * @param sha256    the key's SHA-256, 64 lower-case hex digits
 * @param rateLimit how many requests it may make, if limited
 */
public record ClientKey(String name, String sha256, Optional<RateLimit> rateLimit) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public ClientKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(rateLimit, "rateLimit");
        sha256 = sha256.toLowerCase(Locale.ROOT);
        if (!HEX64.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256: '" + sha256 + "' (expected: 64 hex digits, as printed by "
                                                       + "hedgerow hash-key)");
        }
    }

    /** The hash as bytes, for a constant-time comparison. */
    public byte[] digest() {
        return HexFormat.of().parseHex(sha256);
    }

    /**
     * A token bucket: {@code perMinute} requests a minute on average, up to {@code burst} at once.
     *
     * @param perMinute the sustained rate, requests per minute
     * @param burst     the bucket's size: requests that may come at once after a quiet spell
     */
    public record RateLimit(int perMinute, int burst) {
        public RateLimit {
            Checks.atLeast("rate-limit", perMinute, 1);
            Checks.atLeast("burst", burst, 1);
        }
    }
}
