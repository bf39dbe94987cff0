package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Baseline percentiles on literal samples, window rotation and the long-run estimate, with a fake ticker. */
class LatencyBaselineTest {
    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong();
    private final LatencyBaseline baseline = new LatencyBaseline(BaselineSettings.DEFAULTS, now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    /** Within the histogram's stated precision (4.9%) of the sample it stands for. */
    private static void assertNear(OptionalLong actual, long expectedNanos) {
        assertTrue(actual.isPresent(), "no value");
        double error = Math.abs(actual.getAsLong() - expectedNanos) / (double) expectedNanos;
        assertTrue(error <= 0.049,
                   actual.getAsLong() + " is " + error * 100 + "% away from " + expectedNanos);
    }

    @Test
    void percentilesOfLiteralSamplesAreWithinPrecision() {
        for (int ms = 1; ms <= 100; ms++) {
            baseline.record(ms * MS);
        }
        assertThat(baseline.windowCount(), is(100L));
        assertNear(baseline.percentileNanos(50), 50 * MS);
        assertNear(baseline.percentileNanos(90), 90 * MS);
        assertNear(baseline.percentileNanos(99), 99 * MS);
        assertNear(baseline.percentileNanos(100), 100 * MS);
        assertNear(baseline.percentileNanos(0), 1 * MS);
        assertNear(baseline.longRunMedianNanos(), 50 * MS);
        assertNear(baseline.longRunPercentileNanos(90), 90 * MS);
    }

    @Test
    void precisionHoldsAcrossTheRange() {
        for (long nanos = MS; nanos <= 600_000 * MS; nanos = nanos * 13 / 10 + 7) {
            LatencyBaseline one = new LatencyBaseline(BaselineSettings.DEFAULTS, now::get);
            one.record(nanos);
            assertNear(one.percentileNanos(50), nanos);
        }
    }

    @Test
    void samplesOutsideTheRangeAreClamped() {
        baseline.record(0);
        baseline.record(500_000); // 0.5 ms
        assertThat(baseline.percentileNanos(100), is(OptionalLong.of(MS)));
        baseline.record(Duration.ofHours(1).toNanos());
        assertThat(baseline.percentileNanos(100).getAsLong() / 1e9, closeTo(624, 1)); // about 10.4 min
    }

    @Test
    void emptyUntilSampledAndReadyOnlyWithEnoughSamples() {
        assertThat(baseline.percentileNanos(50), is(OptionalLong.empty()));
        assertThat(baseline.longRunMedianNanos(), is(OptionalLong.empty()));
        assertThat(baseline.slowShare(MS), is(0.0));
        for (int i = 0; i < 19; i++) {
            baseline.record(100 * MS);
        }
        assertFalse(baseline.ready());
        baseline.record(100 * MS);
        assertTrue(baseline.ready());
    }

    @Test
    void windowRotationDropsOldSamples() {
        // 30s window in 3s parts.
        for (int i = 0; i < 100; i++) {
            baseline.record(100 * MS);
        }
        advance(Duration.ofSeconds(15));
        for (int i = 0; i < 100; i++) {
            baseline.record(200 * MS);
        }
        assertThat(baseline.windowCount(), is(200L));
        assertNear(baseline.percentileNanos(25), 100 * MS);
        advance(Duration.ofSeconds(14)); // t=29s: the t=0 part is still the oldest live one
        assertThat(baseline.windowCount(), is(200L));
        advance(Duration.ofSeconds(1)); // t=30s: it is reused, and gone
        assertThat(baseline.windowCount(), is(100L));
        assertNear(baseline.percentileNanos(25), 200 * MS);
        advance(Duration.ofHours(1));
        assertThat(baseline.windowCount(), is(0L));
        assertFalse(baseline.ready());
        assertNear(baseline.longRunPercentileNanos(25), 100 * MS); // the long run still remembers both
        assertNear(baseline.longRunPercentileNanos(75), 200 * MS);
    }

    @Test
    void longRunEstimateBarelyMovesDuringAShortSpike() {
        long[] normal = {80 * MS, 90 * MS, 100 * MS, 110 * MS, 120 * MS};
        for (int i = 0; i < 36_000; i++) { // an hour at 10 per second
            baseline.record(normal[i % normal.length]);
            advance(Duration.ofMillis(100));
        }
        assertNear(baseline.longRunMedianNanos(), 100 * MS);
        assertNear(baseline.longRunPercentileNanos(90), 120 * MS);
        for (int i = 0; i < 300; i++) { // 30 seconds of ten times slower answers
            baseline.record(1_000 * MS);
            advance(Duration.ofMillis(100));
        }
        assertNear(baseline.percentileNanos(50), 1_000 * MS); // the window sees only the spike
        assertNear(baseline.longRunMedianNanos(), 100 * MS);  // the long run does not move...
        assertNear(baseline.longRunPercentileNanos(90), 120 * MS);
        assertNear(baseline.longRunPercentileNanos(99), 1_000 * MS); // ...except at the very top (3.4% of weight)
    }

    @Test
    void longRunWeightHalvesEveryHalfLife() {
        for (int i = 0; i < 10; i++) {
            baseline.record(100 * MS);
        }
        assertThat(baseline.longRunWeight(), closeTo(10, 1e-9));
        advance(Duration.ofMinutes(10));
        assertThat(baseline.longRunWeight(), closeTo(5, 1e-9));
        for (int i = 0; i < 15; i++) {
            baseline.record(300 * MS);
        }
        assertThat(baseline.longRunWeight(), closeTo(20, 1e-9));
        assertTrue(baseline.longRunReady());
        assertNear(baseline.longRunMedianNanos(), 300 * MS); // 15 of weight 1 against 10 of weight 1/2
    }

    @Test
    void weightsAreRescaledLongAfterTheLandmark() {
        LatencyBaseline fast = new LatencyBaseline(
                new BaselineSettings(Duration.ofSeconds(30), 1, Duration.ofSeconds(1)), now::get);
        fast.record(100 * MS);
        advance(Duration.ofSeconds(100)); // 2^100: past the rescale point
        fast.record(200 * MS);
        assertNear(fast.longRunMedianNanos(), 200 * MS);
        assertThat(fast.longRunWeight(), closeTo(1, 1e-9));
        for (int i = 0; i < 1_000; i++) {
            advance(Duration.ofSeconds(100));
            fast.record(300 * MS);
        }
        assertNear(fast.longRunMedianNanos(), 300 * MS);
        assertTrue(Double.isFinite(fast.longRunWeight()));
        assertThat(fast.longRunWeight(), closeTo(1, 1e-9));
    }

    @Test
    void slowShareIsTheFractionAboveTheThreshold() {
        for (int i = 0; i < 90; i++) {
            baseline.record(100 * MS);
        }
        for (int i = 0; i < 10; i++) {
            baseline.record(1_000 * MS);
        }
        assertThat(baseline.slowShare(500 * MS), is(0.10));
        assertThat(baseline.slowShare(50 * MS), is(1.0));
        assertThat(baseline.slowShare(2_000 * MS), is(0.0));
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> baseline.record(-1));
        assertThat(e.getMessage(), is("latency: -1 (expected: 0 or more nanoseconds)"));
        e = assertThrows(IllegalArgumentException.class, () -> baseline.percentileNanos(120));
        assertThat(e.getMessage(), is("percentile: 120.0 (expected: 0..100)"));
        e = assertThrows(IllegalArgumentException.class, () -> baseline.longRunPercentileNanos(Double.NaN));
        assertThat(e.getMessage(), is("percentile: NaN (expected: 0..100)"));
        e = assertThrows(IllegalArgumentException.class,
                         () -> new BaselineSettings(Duration.ofSeconds(30), 0, Duration.ofMinutes(10)));
        assertThat(e.getMessage(), is("baseline.min-samples: 0 (expected: at least 1)"));
    }

    @Test
    void concurrentRecordsAreAllCounted() throws Exception {
        Concurrently.run(8, t -> {
            for (int i = 0; i < 10_000; i++) {
                baseline.record((t + 1) * 10 * MS);
            }
        });
        assertThat(baseline.windowCount(), is(80_000L));
        assertThat(baseline.longRunWeight(), is(80_000.0));
        assertNear(baseline.percentileNanos(50), 40 * MS);  // 8 equal groups: 10..80 ms
        assertNear(baseline.longRunMedianNanos(), 40 * MS);
    }

    @Test
    void aSavedLongRunRestoredLaterWeighsWhatItWouldHaveWeighedHadTheProcessRunOn() {
        for (int i = 0; i < 100; i++) {
            baseline.record(400 * MS);
        }
        double[] saved = baseline.longRunNow();
        assertThat(saved.length, is(LatencyBaseline.buckets()));

        // The process that restarts has a ticker of its own (another origin); the file says it was saved 10 min ago.
        AtomicLong later = new AtomicLong(123_456_789L);
        LatencyBaseline restarted = new LatencyBaseline(BaselineSettings.DEFAULTS, later::get);
        Duration age = BaselineSettings.DEFAULTS.halfLife();
        restarted.restoreLongRun(saved, age.toNanos());
        advance(age);
        assertEquals(baseline.longRunWeight(), restarted.longRunWeight(), 1e-6, "half of it after one half-life");
        assertEquals(50, restarted.longRunWeight(), 1e-6);
        assertNear(restarted.longRunMedianNanos(), 400 * MS);
        assertThat("the recent window starts again", restarted.windowCount(), is(0L));

        // New samples weigh in beside it as they would have.
        restarted.record(4_000 * MS);
        assertEquals(51, restarted.longRunWeight(), 1e-6);
        assertNear(restarted.longRunMedianNanos(), 400 * MS);
    }

    @Test
    void aSavedLongRunOfAnotherLayoutOrWithBadWeightsIsNotRestored() {
        LatencyBaseline restarted = new LatencyBaseline(BaselineSettings.DEFAULTS, now::get);
        restarted.restoreLongRun(new double[LatencyBaseline.buckets() - 1], 0);
        double[] bad = new double[LatencyBaseline.buckets()];
        bad[3] = Double.NaN;
        restarted.restoreLongRun(bad, 0);
        bad[3] = -1;
        restarted.restoreLongRun(bad, 0);
        bad[3] = 5;
        restarted.restoreLongRun(bad, -1);
        assertTrue(restarted.longRunMedianNanos().isEmpty());
        restarted.restoreLongRun(bad, 0);
        assertEquals(5, restarted.longRunWeight(), 1e-9);
    }
}
