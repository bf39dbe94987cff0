package io.hedgerow.route;

import io.hedgerow.config.HedgeSettings;
import io.hedgerow.config.RecoverySettings;
import io.hedgerow.config.RetrySettings;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one route fails over and hedges, with the route's overrides already applied over the router's defaults.
 *
 * @param retry                    same-candidate retries
 * @param hedge                    hedging (off for single-candidate plans)
 * @param routeAroundContentFilter whether a content-policy refusal moves on instead of going back to the client
 * @param timeout                  the route's deadline, when shorter than the server's
 * @param recovery                 what to do when a stream breaks after its first tokens
 */
public record RoutePolicy(RetrySettings retry, HedgeSettings hedge, boolean routeAroundContentFilter,
                          Optional<Duration> timeout, RecoverySettings recovery) {
    public RoutePolicy {
        Objects.requireNonNull(recovery, "recovery");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(hedge, "hedge");
        Objects.requireNonNull(timeout, "timeout");
    }

    /** A policy that never resumes broken streams. */
    public RoutePolicy(RetrySettings retry, HedgeSettings hedge, boolean routeAroundContentFilter,
                       Optional<Duration> timeout) {
        this(retry, hedge, routeAroundContentFilter, timeout, RecoverySettings.OFF);
    }
}
