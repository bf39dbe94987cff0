package io.hedgerow.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * When a route starts a second attempt while the first has produced no token yet.
 *
 * @param enabled      whether the route hedges at all (routes with one candidate never do)
 * @param delay        how long to wait for the running attempt's first token before hedging
 * @param minDelay     the adaptive delay's lower clamp
 * @param maxDelay     the adaptive delay's upper clamp
 * @param warmupDelay  a fixed delay used until the running candidate's baseline has enough samples (the prior a
 *                     fresh or quiet router hedges by: 10 s by default, so a silent first provider does not cost
 *                     the whole first-token timeout); empty means no hedging until then
 * @param maxInFlight  attempts of one request running at once, the first included
 * @param sameProvider whether a hedge may go to the same provider as an attempt in flight (latency spikes are
 *                     usually provider-wide, so by default it may not)
 */
public record HedgeSettings(boolean enabled,
                            Delay delay,
                            Duration minDelay,
                            Duration maxDelay,
                            Optional<Duration> warmupDelay,
                            int maxInFlight,
                            boolean sameProvider) {
    /** The delay used before a candidate has a baseline: a first token (or answer) slower than this is hedged. */
    public static final Duration DEFAULT_WARMUP_DELAY = Duration.ofSeconds(10);
    public static final HedgeSettings DEFAULTS = new HedgeSettings(true, new Delay.Auto(), Duration.ofMillis(50),
                                                                   Duration.ofSeconds(10),
                                                                   Optional.of(DEFAULT_WARMUP_DELAY), 2, false);
    public static final HedgeSettings OFF = new HedgeSettings(false, new Delay.Auto(), Duration.ofMillis(50),
                                                              Duration.ofSeconds(10), Optional.empty(), 1, false);

    public HedgeSettings {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(minDelay, "minDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(warmupDelay, "warmupDelay");
    }

    /** How the hedge delay is chosen. */
    public sealed interface Delay {
        /** Always this long. */
        record Fixed(Duration delay) implements Delay {
            public Fixed {
                Objects.requireNonNull(delay, "delay");
            }
        }

        /** This percentile (0..100) of the running candidate's time-to-first-token baseline. */
        record Percentile(double percentile) implements Delay {
        }

        /**
         * The percentile that hedges the share of requests the budget can pay for: {@code 100 * (1 - 0.8 * ratio)},
         * p92 for the default 10% budget. Hedging exactly the requests slower than the (1 - r) quantile is what the
         * best fixed delay for an extra load r does, so this tracks it as latency drifts.
         */
        record Auto() implements Delay {
        }
    }
}
