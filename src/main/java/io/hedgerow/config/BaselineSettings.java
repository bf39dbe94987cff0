package io.hedgerow.config;

import java.time.Duration;

/**
 * How a {@link LatencyBaseline} remembers. Immutable; validated on construction.
 *
 * @param window     the recent window for {@link LatencyBaseline#percentileNanos} (in
 *                   {@value LatencyBaseline#SUB_WINDOWS} rotating parts)
 * @param minSamples samples the window needs before the baseline is {@link LatencyBaseline#ready() ready}
 * @param halfLife   the long-run estimate's memory: a sample's weight halves every {@code halfLife}
 */
public record BaselineSettings(Duration window, int minSamples, Duration halfLife) {

    /** 30s window, 20 samples, 10m half-life. */
    public static final BaselineSettings DEFAULTS =
            new BaselineSettings(Duration.ofSeconds(30), 20, Duration.ofMinutes(10));

    public BaselineSettings {
        Checks.positive("baseline.window", window);
        Checks.atLeast("baseline.min-samples", minSamples, 1);
        Checks.positive("baseline.half-life", halfLife);
    }
}
