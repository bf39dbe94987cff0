package io.hedgerow.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A model alias clients can ask for, the chain of candidates that serve it (in order of preference), and how
 * it fails over and hedges.
 *
 * @param alias                    what clients send as {@code model}
 * @param chain                    the candidates, best first
 * @param retry                    same-candidate retries, overriding {@code failover.retry}
 * @param hedge                    hedging, overriding {@code hedging.defaults}
 * @param routeAroundContentFilter whether a content-policy refusal moves on to the next candidate instead of
 *                                 going back to the client
 * @param timeout                  a deadline shorter than {@code server.request-timeout} for this route
 * @param recovery                 mid-stream recovery, overriding {@code failover.recovery}
 */
public record RouteConfig(String alias,
                          List<CandidateRef> chain,
                          Optional<RetrySettings> retry,
                          Optional<HedgeSettings> hedge,
                          boolean routeAroundContentFilter,
                          Optional<Duration> timeout,
                          Optional<RecoverySettings> recovery) {
    public RouteConfig {
        Objects.requireNonNull(alias, "alias");
        chain = List.copyOf(chain);
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(hedge, "hedge");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(recovery, "recovery");
    }

    /** A route with router-wide recovery. */
    public RouteConfig(String alias, List<CandidateRef> chain, Optional<RetrySettings> retry,
                       Optional<HedgeSettings> hedge, boolean routeAroundContentFilter, Optional<Duration> timeout) {
        this(alias, chain, retry, hedge, routeAroundContentFilter, timeout, Optional.empty());
    }

    /** A route with router-wide failover and hedging. */
    public RouteConfig(String alias, List<CandidateRef> chain) {
        this(alias, chain, Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty());
    }
}
