package io.hedgerow.exec;

import io.hedgerow.config.HedgeSettings;
import io.hedgerow.health.LatencyBaseline;
import io.hedgerow.health.SizedBaseline;

import java.util.OptionalLong;

/**
 * When to hedge: how long the running attempt may go without a first token (or whole answer) before the next
 * candidate starts beside it. Whether a hedge may start at all is the budget's business, not this one's.
 *
 * <ul>
 *     <li>{@code delay: 800ms}: always that.</li>
 *     <li>{@code delay: p95}: that percentile of the running candidate's recent baseline.</li>
 *     <li>{@code delay: auto} (the default): the percentile {@code 100 * (1 - 0.8 * r)} for a budget ratio
 *     {@code r}, p92 at 10%. Hedging exactly the requests slower than the {@code (1 - x)} quantile costs an extra
 *     load of {@code x} and is what the best fixed delay for that load does; aiming at 80% of the budget leaves
 *     room for probes and bursts. A plain "p95" can land far out when a slow mode holds 5% of the samples; a
 *     quantile chosen from the budget cannot.</li>
 * </ul>
 * Percentile delays are clamped to {@code [min-delay, max-delay]}; until the baseline has enough samples the
 * {@code warmup-delay} applies, or no hedging when there is none.
 *
 * <p>With a {@link SizedBaseline}, the percentile is the one for a request of this size (see there: its own size
 * class, pooled with neighbouring ones when thin, the window or the long run), so a long prompt waits for what is
 * usual for long prompts and a short one for what is usual for short ones. It is read cautiously
 * ({@link SizedBaseline#cautiousPercentile}): from few samples, a value that lies at or below the percentile with 90%
 * confidence, since a delay read too high (into a slow mode) lets every slow request through and one a little low
 * costs a few hedges. The budget share is the one the request
 * can afford: smaller when its hedge would go to a dearer model ({@code HedgeBudget#affordableShare}).
 */
public final class HedgeDelay {
    /** The share of the budget the automatic delay aims to spend. */
    public static final double AUTO_BUDGET_SHARE = 0.8;

    private HedgeDelay() {
    }

    /** The delay in nanoseconds, or empty for "do not hedge this attempt". */
    public static OptionalLong nanos(HedgeSettings hedge, LatencyBaseline baseline, double budgetRatio) {
        if (hedge.delay() instanceof HedgeSettings.Delay.Fixed fixed) {
            return OptionalLong.of(fixed.delay().toNanos());
        }
        double percentile = percentile(hedge, budgetRatio);
        return clamped(hedge, baseline.ready() ? baseline.percentileNanos(percentile) : OptionalLong.empty());
    }

    /** The delay for a request of {@code tokens} prompt tokens, or empty for "do not hedge this attempt". */
    public static OptionalLong nanos(HedgeSettings hedge, SizedBaseline baseline, long tokens, double budgetShare) {
        if (hedge.delay() instanceof HedgeSettings.Delay.Fixed fixed) {
            return OptionalLong.of(fixed.delay().toNanos());
        }
        return clamped(hedge, baseline.cautiousPercentile(tokens, percentile(hedge, budgetShare))
                .map(e -> OptionalLong.of(e.nanos())).orElse(OptionalLong.empty()));
    }

    /** The percentile a percentile or automatic delay reads: {@code p}, or {@code 100 * (1 - 0.8 * share)}. */
    public static double percentile(HedgeSettings hedge, double budgetShare) {
        return switch (hedge.delay()) {
            case HedgeSettings.Delay.Percentile p -> p.percentile();
            case HedgeSettings.Delay.Auto auto -> 100 * (1 - AUTO_BUDGET_SHARE * budgetShare);
            case HedgeSettings.Delay.Fixed fixed ->
                    throw new IllegalArgumentException("a fixed delay has no percentile");
        };
    }

    private static OptionalLong clamped(HedgeSettings hedge, OptionalLong value) {
        if (value.isEmpty()) {
            return hedge.warmupDelay().map(d -> OptionalLong.of(d.toNanos())).orElse(OptionalLong.empty());
        }
        return OptionalLong.of(Math.clamp(value.getAsLong(), hedge.minDelay().toNanos(), hedge.maxDelay().toNanos()));
    }
}
