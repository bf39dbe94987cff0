package io.hedgerow.exec;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.HedgeSettings;
import io.hedgerow.health.LatencyBaseline;
import io.hedgerow.health.SizedBaseline;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/** The hedge delay from literal samples: fixed, percentile, auto, clamps and warm-up. */
class HedgeDelayTest {
    private final AtomicLong now = new AtomicLong();
    private final LatencyBaseline baseline = new LatencyBaseline(
            new BaselineSettings(Duration.ofSeconds(30), 20, Duration.ofMinutes(10)), now::get);

    private static HedgeSettings settings(HedgeSettings.Delay delay, Optional<Duration> warmup) {
        return new HedgeSettings(true, delay, Duration.ofMillis(50), Duration.ofSeconds(5), warmup, 2, false);
    }

    /** 94 samples of 300-400 ms and 6 of 3 s: a heavy tail like the hedging benchmark's provider A. */
    private void heavyTail() {
        for (int i = 0; i < 100; i++) {
            baseline.record(Duration.ofMillis(i % 17 == 0 ? 3000 : 300 + i).toNanos());
        }
    }

    private static long millis(OptionalLong nanos) {
        return nanos.orElseThrow() / 1_000_000;
    }

    @Test
    void fixedIgnoresTheBaseline() {
        assertThat(HedgeDelay.nanos(settings(new HedgeSettings.Delay.Fixed(Duration.ofMillis(800)), Optional.empty()),
                                    baseline, 0.1), is(OptionalLong.of(Duration.ofMillis(800).toNanos())));
    }

    @Test
    void noHedgingUntilTheBaselineHasEnoughSamplesUnlessAWarmupDelayIsSet() {
        for (int i = 0; i < 19; i++) {
            baseline.record(Duration.ofMillis(300).toNanos());
        }
        assertThat(HedgeDelay.nanos(settings(new HedgeSettings.Delay.Auto(), Optional.empty()), baseline, 0.1),
                   is(OptionalLong.empty()));
        assertThat(HedgeDelay.nanos(settings(new HedgeSettings.Delay.Auto(), Optional.of(Duration.ofSeconds(2))),
                                    baseline, 0.1), is(OptionalLong.of(Duration.ofSeconds(2).toNanos())));
        baseline.record(Duration.ofMillis(300).toNanos());
        assertThat(millis(HedgeDelay.nanos(settings(new HedgeSettings.Delay.Auto(), Optional.empty()), baseline, 0.1)),
                   allOf(greaterThan(285L), lessThan(316L)));
    }

    @Test
    void autoStaysInTheFastModeWhereANaiveP95LandsInTheSlowOne() {
        heavyTail();
        long auto = millis(HedgeDelay.nanos(settings(new HedgeSettings.Delay.Auto(), Optional.empty()), baseline, 0.1));
        long p95 = millis(HedgeDelay.nanos(settings(new HedgeSettings.Delay.Percentile(95), Optional.empty()),
                                           baseline, 0.1));
        // p92 of this mix is a fast sample (~390 ms); p95 is a slow one (3 s).
        assertThat(auto, allOf(greaterThan(370L), lessThan(420L)));
        assertThat(p95, greaterThan(2800L));
    }

    @Test
    void percentileDelaysAreClamped() {
        heavyTail();
        HedgeSettings tight = new HedgeSettings(true, new HedgeSettings.Delay.Percentile(99), Duration.ofMillis(50),
                                                Duration.ofSeconds(1), Optional.empty(), 2, false);
        assertThat(millis(HedgeDelay.nanos(tight, baseline, 0.1)), is(1000L));
        HedgeSettings floor = new HedgeSettings(true, new HedgeSettings.Delay.Percentile(1), Duration.ofMillis(500),
                                                Duration.ofSeconds(5), Optional.empty(), 2, false);
        assertThat(millis(HedgeDelay.nanos(floor, baseline, 0.1)), is(500L));
    }
    @Test
    void atTwoRequestsASecondTheDelayForOneSizeStaysOutOfItsSlowMode() {
        // One size (1.5k-2.5k tokens, across the 2048-token class boundary) at two requests a second for 30 s:
        // 300-590 ms, one answer in twenty 10x slower, the three slow ones falling, as they may, on one side of it.
        SizedBaseline sized = new SizedBaseline(new BaselineSettings(Duration.ofSeconds(30), 20, Duration.ofMinutes(10)),
                                                now::get);
        for (int i = 0; i < 60; i++) {
            now.addAndGet(Duration.ofMillis(500).toNanos());
            boolean slow = i == 9 || i == 32 || i == 53;
            long tokens = 1500 + (i * 37 % 60) * 1000 / 60;
            sized.record(tokens, Duration.ofMillis(slow ? 3000 : 300 + (i * 29 % 60) * 5).toNanos());
        }
        HedgeSettings auto = settings(new HedgeSettings.Delay.Auto(), Optional.of(Duration.ofSeconds(10)));
        // A p92 (budget 10%) for any size of the route: in the fast mode, at most its largest answer (595 ms, read
        // within 4.9%), for sizes on either side of the boundary; not the slow mode's 3 s, not the warm-up delay.
        for (long tokens : new long[] {1500, 2000, 2100, 2500}) {
            assertThat(tokens + " tokens", millis(HedgeDelay.nanos(auto, sized, tokens, 0.1)),
                       allOf(greaterThan(450L), lessThan(625L)));
        }
    }
}
