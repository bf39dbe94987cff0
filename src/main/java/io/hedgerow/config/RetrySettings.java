package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Same-candidate retries.
 *
 * @param maxAttempts   attempts on one candidate before moving on, the first included (1: no retries)
 * @param baseDelay     the first backoff's upper bound; it doubles per retry (full jitter: a uniform draw below it)
 * @param maxDelay      the largest backoff bound
 * @param maxRetryAfter the longest {@code Retry-After} worth waiting for on the same candidate; a longer one
 *                      (or one that would not fit the request's deadline) moves to the next candidate at once
 */
public record RetrySettings(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration maxRetryAfter) {
    public static final RetrySettings DEFAULTS =
            new RetrySettings(2, Duration.ofMillis(250), Duration.ofSeconds(4), Duration.ofSeconds(5));

    public RetrySettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: at least 1)");
        }
        Objects.requireNonNull(baseDelay, "baseDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
    }
}
