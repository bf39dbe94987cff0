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
    private final ProbeGate gate;
    private final Map<String, CandidateHealth> candidates = new ConcurrentHashMap<>();
    private final KeyHealth keys;
    private final HedgeBudget budget;

    public HealthRegistry(FailoverSettings failover, HedgingSettings hedging, Ticker ticker, HealthListener listener) {
        this(failover, hedging, ticker, listener, ProbeGate.LOCAL);
    }

    /** A registry whose breakers probe only when {@code gate} lets them (a fleet's replicas take turns). */
    public HealthRegistry(FailoverSettings failover, HedgingSettings hedging, Ticker ticker, HealthListener listener,
                          ProbeGate gate) {
        this(failover, hedging, ticker, listener, gate, new KeyHealth(failover.cooldowns(), ticker, listener),
             new HedgeBudget(hedging.budget(), ticker));
    }

    private HealthRegistry(FailoverSettings failover, HedgingSettings hedging, Ticker ticker, HealthListener listener,
                           ProbeGate gate, KeyHealth keys, HedgeBudget budget) {
        this.failover = failover;
        this.hedging = hedging;
        this.ticker = ticker;
        this.listener = listener;
        this.gate = java.util.Objects.requireNonNull(gate, "gate");
        this.keys = keys;
        this.budget = budget;
    }

    /**
     * The registry for a reloaded config. What is unchanged carries over, so a reload forgets nothing it need not:
     * <ul>
     *     <li>each candidate that {@code keep} accepts (its provider's upstream settings did not change) keeps its
     *     breaker, baselines and demotion, each part rebuilt only if its own router-wide settings changed;
     *     other candidates start afresh on first use;</li>
     *     <li>key cooldowns carry over (under the new ladders if those changed), keyed by the key's value as ever;</li>
     *     <li>the hedge budget is kept unless its settings changed.</li>
     * </ul>
     * Kept parts are shared with this registry, so requests still running on the old config feed the same state.
     */
    public HealthRegistry reconfigured(FailoverSettings newFailover, HedgingSettings newHedging,
                                       java.util.function.Predicate<String> keep) {
        java.util.Objects.requireNonNull(keep, "keep");
        HedgeBudget nextBudget = newHedging.budget().equals(hedging.budget()) ? budget
                : new HedgeBudget(newHedging.budget(), ticker);
        HealthRegistry next = new HealthRegistry(newFailover, newHedging, ticker, listener, gate,
                                                 keys.reconfigured(newFailover.cooldowns()), nextBudget);
        candidates.forEach((label, health) -> {
            if (keep.test(label)) {
                next.candidates.put(label, health.reconfigured(newFailover.breaker(), newHedging.baseline(),
                                                               newHedging.demotion(), ticker, listener, gate));
            }
        });
        return next;
    }

    public FailoverSettings failover() {
        return failover;
    }

    /** The health of a candidate, created on first use. */
    public CandidateHealth candidate(String label) {
        return candidates.computeIfAbsent(label, l -> new CandidateHealth(l, failover.breaker(), hedging.baseline(),
                                                                          hedging.demotion(), ticker, listener, gate));
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
