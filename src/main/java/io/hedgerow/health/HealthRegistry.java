package io.hedgerow.health;

import io.hedgerow.config.FailoverSettings;
import io.hedgerow.config.HedgingSettings;
import io.hedgerow.time.Ticker;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The router's health state: one {@link CandidateHealth} per {@code provider/model}, one {@link KeyHealth} for all
 * keys (so models sharing a key share its rate limit), one {@link HedgeBudget}. Fed by attempt outcomes, read as
 * snapshots; it never calls a provider.
 */
public final class HealthRegistry {
    private final FailoverSettings failover;
    private final HedgingSettings hedging;
    private final Ticker ticker;
    private final HealthListener listener;
    private final Map<String, CandidateHealth> candidates = new ConcurrentHashMap<>();
    private final KeyHealth keys;
    private final HedgeBudget budget;

    public HealthRegistry(FailoverSettings failover, HedgingSettings hedging, Ticker ticker, HealthListener listener) {
        this.failover = failover;
        this.hedging = hedging;
        this.ticker = ticker;
        this.listener = listener;
        this.keys = new KeyHealth(failover.cooldowns(), ticker, listener);
        this.budget = new HedgeBudget(hedging.budget(), ticker);
    }

    /** The health of a candidate, created on first use. */
    public CandidateHealth candidate(String label) {
        return candidates.computeIfAbsent(label, l -> new CandidateHealth(l, failover.breaker(), hedging.baseline(),
                                                                          hedging.demotion(), ticker, listener));
    }

    public KeyHealth keys() {
        return keys;
    }

    public HedgeBudget budget() {
        return budget;
    }

    public HedgingSettings hedging() {
        return hedging;
    }

    /** Every candidate seen so far, by label. */
    public Map<String, CandidateHealth> candidates() {
        return Collections.unmodifiableMap(candidates);
    }
}
