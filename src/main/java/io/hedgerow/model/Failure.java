package io.hedgerow.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Why one upstream attempt failed.
 *
 * @param kind       the failure class
 * @param status     the upstream HTTP status, or 0 when there was none (connection failure, timeout)
 * @param message    a short description safe to show to clients: never contains credentials
 * @param retryAfter how long the provider asked us to wait, when it said
 */
public record Failure(FailureKind kind, int status, String message, Optional<Duration> retryAfter) {
    public Failure {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(retryAfter, "retryAfter");
    }

    public static Failure of(FailureKind kind, String message) {
        return new Failure(kind, 0, message, Optional.empty());
    }

    /** A compact form for headers and logs, e.g. {@code 429 rate limited} or {@code timed out}. */
    public String summary() {
        return status > 0 ? status + " " + kind.description() : kind.description();
    }
}
