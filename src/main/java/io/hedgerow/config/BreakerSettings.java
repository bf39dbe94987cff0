package io.hedgerow.config;

import java.time.Duration;

/**
 * How a {@link CircuitBreaker} decides. Immutable; validated on construction.
 *
 * @param window           how far back the closed breaker looks (a sliding window of
 *                         {@value CircuitBreaker#BUCKETS} buckets)
 * @param minimumCalls     counted calls in the window before the ratio may open the breaker
 * @param failureRatio     failures / counted calls at or above which the breaker opens, in (0, 1]
 * @param openFor          how long it stays open before letting a probe through; doubled after a failed probe,
 *                         {@value CircuitBreaker#MAX_OPEN_MULTIPLIER} times at most (a recovered upstream is found
 *                         within that); also the half-open trial's timeout
 * @param halfOpenProbes   calls let through at once while half-open
 * @param successesToClose probe successes that close it again
 */
public record BreakerSettings(Duration window,
                              int minimumCalls,
                              double failureRatio,
                              Duration openFor,
                              int halfOpenProbes,
                              int successesToClose) {

    /** 30s window, 5 calls, ratio 0.5, open for 10s (20s after a failed probe), 1 probe at a time, 2 to close. */
    public static final BreakerSettings DEFAULTS =
            new BreakerSettings(Duration.ofSeconds(30), 5, 0.5, Duration.ofSeconds(10), 1, 2);

    public BreakerSettings {
        Checks.positive("breaker.window", window);
        Checks.atLeast("breaker.minimum-calls", minimumCalls, 1);
        if (!(failureRatio > 0 && failureRatio <= 1)) {
            throw new IllegalArgumentException("breaker.failure-ratio: " + failureRatio
                                               + " (expected: more than 0, at most 1)");
        }
        Checks.positive("breaker.open-for", openFor);
        Checks.atLeast("breaker.half-open-probes", halfOpenProbes, 1);
        Checks.atLeast("breaker.successes-to-close", successesToClose, 1);
    }
}
