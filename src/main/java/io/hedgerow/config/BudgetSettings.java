package io.hedgerow.config;

import java.time.Duration;
import java.util.OptionalDouble;

/**
 * How much hedging a {@link HedgeBudget} allows. Immutable; validated on construction.
 *
 * @param ratio        hedges earned per request, 0..1 (0.1: one hedge per ten requests)
 * @param minPerSecond hedges allowed in every second whatever the traffic, so a quiet router can still hedge
 * @param ttl          how long a request's deposit lasts, 1s..10m, in whole seconds (rounded up)
 * @param maxCostShare hedges may add at most this share (0..1) to what requests spend, priced at the configured
 *                     model prices; empty: no cap by cost (the request share alone)
 */
public record BudgetSettings(double ratio, int minPerSecond, Duration ttl, OptionalDouble maxCostShare) {

    /** 10% of requests, 1 per second floor, 10s memory, no cost cap. */
    public static final BudgetSettings DEFAULTS = new BudgetSettings(0.10, 1, Duration.ofSeconds(10));

    /** With no cap by cost. */
    public BudgetSettings(double ratio, int minPerSecond, Duration ttl) {
        this(ratio, minPerSecond, ttl, OptionalDouble.empty());
    }

    public BudgetSettings {
        java.util.Objects.requireNonNull(maxCostShare, "hedge-budget.max-cost-share");
        if (maxCostShare.isPresent()) {
            Checks.within("hedge-budget.max-cost-share", maxCostShare.getAsDouble(), 0, 1, "0..1");
        }
        Checks.within("hedge-budget.ratio", ratio, 0, 1, "0..1");
        Checks.atLeast("hedge-budget.min-per-second", minPerSecond, 0);
        java.util.Objects.requireNonNull(ttl, "hedge-budget.ttl");
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("hedge-budget.ttl: " + Checks.human(ttl) + " (expected: 1s..10m)");
        }
    }

    /** {@code ttl} in whole seconds, rounded up: the number of one-second buckets. */
    public int ttlSeconds() {
        long s = ttl.toSeconds();
        return (int) (ttl.toNanosPart() == 0 ? s : s + 1);
    }
}
