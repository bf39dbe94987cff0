package io.hedgerow.exec;

import io.hedgerow.config.RetrySettings;
import io.hedgerow.model.Failure;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * What to do after an attempt failed: the failover policy per error class, in one place.
 *
 * <ul>
 *     <li>The request's own fault (400, content filter unless the route routes around it): stop, tell the client.</li>
 *     <li>Rate limited or auth failure: the key is the problem, so the next key of the same provider is tried
 *     at once. With no other key, a rate limit is waited out on the same candidate when its {@code Retry-After}
 *     is at most {@code max-retry-after} and fits the deadline; otherwise the next candidate.</li>
 *     <li>Server error, connection failure, bad response: retried on the same candidate after a backoff with
 *     full jitter, {@code uniform(0, min(max-delay, base-delay * 2^(n-1)))} before retry n, while attempts are
 *     left and the wait fits the deadline; then the next candidate.</li>
 *     <li>Timeout: the next candidate at once; a provider that stayed silent is not asked again.</li>
 *     <li>Context length: the next candidate (the executor skips those whose declared window is no larger).</li>
 *     <li>Not found (404: no such model at this provider): the next candidate.</li>
 *     <li>A bug of ours in the adapter ({@code INTERNAL}): the next candidate, whose adapter may well be another;
 *     never the same one again.</li>
 * </ul>
 */
final class RetryPolicy {
    private final RandomGenerator random;

    RetryPolicy(RandomGenerator random) {
        this.random = random;
    }

    /** The decision after a failure. */
    sealed interface Decision {
        /** Try the same candidate with another key, now. */
        record NextKey() implements Decision {
        }

        /** Try the same candidate (and key) again after this wait. */
        record Retry(Duration after) implements Decision {
        }

        /** Move on to the next candidate. */
        record NextCandidate() implements Decision {
        }

        /** End the request with this failure. */
        record Stop() implements Decision {
        }
    }

    /**
     * @param failure           what happened
     * @param attemptsSoFar     attempts already made on this candidate, the failed one included
     * @param otherKeyAvailable whether the provider has another key that is not cooling down and not yet tried
     * @param remainingNanos    time left before the request's deadline
     * @param settings          the route's retry settings
     * @param routeAroundFilter whether the route moves on after a content-policy refusal
     */
    Decision decide(Failure failure, int attemptsSoFar, boolean otherKeyAvailable, long remainingNanos,
                    RetrySettings settings, boolean routeAroundFilter) {
        Objects.requireNonNull(failure, "failure");
        boolean attemptsLeft = attemptsSoFar < settings.maxAttempts();
        return switch (failure.kind()) {
            case BAD_REQUEST, CANCELLED, SHUTDOWN -> new Decision.Stop();
            case CONTENT_FILTER -> routeAroundFilter ? new Decision.NextCandidate() : new Decision.Stop();
            case UNAVAILABLE, TIMEOUT, CONTEXT_LENGTH, NOT_FOUND, INTERNAL -> new Decision.NextCandidate();
            case AUTH -> otherKeyAvailable ? new Decision.NextKey() : new Decision.NextCandidate();
            case RATE_LIMITED -> {
                if (otherKeyAvailable) {
                    yield new Decision.NextKey();
                }
                Optional<Duration> wait = failure.retryAfter();
                if (attemptsLeft && wait.isPresent() && wait.get().compareTo(settings.maxRetryAfter()) <= 0
                        && wait.get().toNanos() < remainingNanos) {
                    yield new Decision.Retry(wait.get());
                }
                yield new Decision.NextCandidate();
            }
            case SERVER_ERROR, CONNECTION, BAD_RESPONSE -> {
                if (!attemptsLeft) {
                    yield new Decision.NextCandidate();
                }
                Duration backoff = backoff(attemptsSoFar, settings);
                yield backoff.toNanos() < remainingNanos ? new Decision.Retry(backoff) : new Decision.NextCandidate();
            }
        };
    }

    /** Full jitter: uniform in [0, min(max, base * 2^(retry-1))). */
    Duration backoff(int attemptsSoFar, RetrySettings settings) {
        long base = settings.baseDelay().toNanos();
        long bound = base << Math.min(attemptsSoFar - 1, 30);
        if (bound <= 0 || bound > settings.maxDelay().toNanos()) {
            bound = settings.maxDelay().toNanos();
        }
        return bound <= 0 ? Duration.ZERO : Duration.ofNanos(random.nextLong(bound));
    }
}
