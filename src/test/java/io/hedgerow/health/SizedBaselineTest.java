package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Size-conditioned quantiles on literal samples, and how they fall back when data is thin; a fake ticker. */
class SizedBaselineTest {
    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong();
    private final BaselineSettings settings = new BaselineSettings(Duration.ofSeconds(30), 20, Duration.ofMinutes(10));
    private final SizedBaseline sized = new SizedBaseline(settings, now::get);

    /** Within {@code tolerance} (relative) of {@code expectedMillis}. */
    private static void assertNear(long actualNanos, double expectedMillis, double tolerance) {
        double error = Math.abs(actualNanos / 1e6 - expectedMillis) / expectedMillis;
        assertTrue(error <= tolerance, actualNanos / 1e6 + " ms is " + Math.round(error * 1000) / 10.0 + "% away from "
                + expectedMillis + " ms");
    }

    private long p(long tokens, double percentile) {
        return sized.percentileNanos(tokens, percentile).orElseThrow();
    }

    @Test
    void sizeClassesAreLogSpaced() {
        assertEquals(0, SizedBaseline.sizeClass(0));
        assertEquals(0, SizedBaseline.sizeClass(511));
        assertEquals(1, SizedBaseline.sizeClass(512));
        assertEquals(1, SizedBaseline.sizeClass(1023));
        assertEquals(2, SizedBaseline.sizeClass(1024));
        assertEquals(7, SizedBaseline.sizeClass(40_000));
        assertEquals(10, SizedBaseline.sizeClass(262_144));
        assertEquals(11, SizedBaseline.sizeClass(600_000));
        assertEquals(11, SizedBaseline.sizeClass(Long.MAX_VALUE));
        assertEquals(32_768, SizedBaseline.lowerBound(7));
    }

    @Test
    void eachSizeIsJudgedOnItsOwnSamples() {
        LatencyBaseline blind = new LatencyBaseline(settings, now::get);
        for (int i = 0; i < 100; i++) {
            sized.record(400, (100 + i) * MS);
            sized.record(40_000, (1000 + 10 * i) * MS);
            blind.record((100 + i) * MS);
            blind.record((1000 + 10 * i) * MS);
        }
        // p90 of short prompts is 189 ms, of long ones 1890 ms; a size-blind baseline says 1800 ms for both.
        assertNear(p(400, 90), 189, 0.049);
        assertNear(p(40_000, 90), 1890, 0.049);
        assertNear(blind.percentileNanos(90).orElseThrow(), 1800, 0.049);
        Optional<SizedBaseline.Estimate> estimate = sized.percentile(400, 90);
        assertEquals(SizedBaseline.Source.WINDOW, estimate.orElseThrow().source());
        assertTrue(estimate.get().ownClass());
        assertEquals(100, estimate.get().samples());
        // The usual time for each size is its own median, and slowness is judged against it.
        assertNear(sized.usualNanos(400).orElseThrow(), 149.5, 0.049);
        assertNear(sized.usualNanos(40_000).orElseThrow(), 1495, 0.049);
        assertEquals(2.0, sized.slowdown(40_000, 2990 * MS).orElseThrow(), 0.1);
        assertEquals(2.0, sized.slowdown(400, 299 * MS).orElseThrow(), 0.1);
    }

    @Test
    void aSizeBetweenKnownOnesIsInterpolatedLogLog() {
        for (int i = 0; i < 40; i++) {
            sized.record(700, (long) ((100 + 2.5 * i) * MS));
            sized.record(2800, (long) ((400 + 10 * i) * MS));
        }
        // Medians 147.5 ms at 700 tokens and 590 ms at 2800: 4x the latency for 4x the size, so 1400 tokens is usually
        // 295 ms (the class in between has no sample of its own).
        assertNear(sized.usualNanos(1400).orElseThrow(), 295, 0.049);
        // Beyond the ends the nearest median holds: no slope is invented.
        assertNear(sized.usualNanos(100).orElseThrow(), 147.5, 0.049);
        assertNear(sized.usualNanos(100_000).orElseThrow(), 590, 0.049);
        // Its percentiles pool both neighbours (radius 1), each rescaled to 300 ms: p90 = 2x the short class's 190.
        SizedBaseline.Estimate e = sized.percentile(1400, 90).orElseThrow();
        assertEquals(1, e.radius());
        assertEquals(80, e.samples());
        assertNear(e.nanos(), 380, 0.1);
    }

    @Test
    void aThinClassBorrowsFromItsNeighboursRescaled() {
        for (int i = 0; i < 40; i++) {
            sized.record(700, (long) ((100 + 2.5 * i) * MS));
        }
        // Five samples of 4k-8k tokens, around 800 ms: enough for a median of their own, too few for a percentile.
        for (int i = 0; i < 5; i++) {
            sized.record(6000, (780 + 10 * i) * MS);
        }
        SizedBaseline.Estimate e = sized.percentile(6000, 90).orElseThrow();
        assertEquals(3, e.radius(), "pooled out to the 512-1k class, three classes away");
        assertEquals(45, e.samples());
        // The short class rescaled to the thin class's median (800 ms / 147.5 ms = 1.1^18 buckets): its 37th sample,
        // 190 ms, reads about 1057 ms, not the short class's own 190 ms.
        assertNear(e.nanos(), 1057, 0.06);
        // Its own class answers alone once it holds min-samples.
        for (int i = 0; i < 15; i++) {
            sized.record(6000, (800 + 10 * i) * MS);
        }
        assertTrue(sized.percentile(6000, 90).orElseThrow().ownClass());
    }

    @Test
    void aQuietRouterFallsBackToTheLongRunThenToNothing() {
        for (int i = 0; i < 40; i++) {
            sized.record(1000, (200 + i) * MS);
            now.addAndGet(Duration.ofSeconds(20).toNanos());
        }
        // Three requests a minute: the 30 s window never holds 20, the long run (10 min half-life) holds 25.8.
        assertTrue(sized.windowCount() < 20);
        SizedBaseline.Estimate e = sized.percentile(1000, 50).orElseThrow();
        assertEquals(SizedBaseline.Source.LONG_RUN, e.source());
        assertTrue(e.ownClass());
        assertEquals(25.8, e.samples(), 0.1);
        // The long run's median leans to the recent samples: 224 ms of 200..239.
        assertNear(e.nanos(), 224, 0.06);
        // Two hours of silence: the long run has decayed under min-samples: no estimate, the caller's prior applies.
        now.addAndGet(Duration.ofHours(2).toNanos());
        assertFalse(sized.percentile(1000, 50).isPresent());
        assertTrue(sized.usualNanos(1000).isEmpty());
    }

    @Test
    void nothingIsKnownBeforeMinSamples() {
        for (int i = 0; i < 19; i++) {
            sized.record(300, 100 * MS);
            sized.record(50_000, 900 * MS);
        }
        // 38 samples in all, but the pool stops as soon as it holds 20: the other size's 19 rescaled ones count too.
        assertTrue(sized.percentile(300, 50).isPresent());
        SizedBaseline lonely = new SizedBaseline(settings, now::get);
        for (int i = 0; i < 19; i++) {
            lonely.record(300, 100 * MS);
        }
        assertFalse(lonely.percentile(300, 50).isPresent());
        assertTrue(lonely.usualNanos(300).isPresent());
    }

    @Test
    void aSizeIsComparedWithOthersOnlyOnceWhatIsUsualForItIsKnown() {
        // One size class so far, nothing usual yet: nothing to scale, the latency is judged as it is.
        sized.record(400, 200 * MS);
        assertEquals(200 * MS, sized.atReference(400, 200 * MS, 1000).orElseThrow());
        // A second size before either has a usual latency: neither can be scaled to the other.
        sized.record(40_000, 2000 * MS);
        assertTrue(sized.atReference(400, 200 * MS, 1000).isEmpty());
        assertTrue(sized.atReference(40_000, 2000 * MS, 1000).isEmpty());
        // Short prompts have a usual latency now (3 samples): they are judged; 40k tokens lies beyond, not yet.
        sized.record(400, 200 * MS);
        sized.record(400, 200 * MS);
        assertNear(sized.atReference(400, 200 * MS, 1000).orElseThrow(), 200, 0.049);
        assertTrue(sized.atReference(40_000, 2000 * MS, 1000).isEmpty());
        // Once 40k has its own, both ends are known, and so is every size between them (interpolated).
        sized.record(40_000, 2000 * MS);
        sized.record(40_000, 2000 * MS);
        assertTrue(sized.atReference(40_000, 2000 * MS, 1000).isPresent());
        assertTrue(sized.atReference(4_000, 600 * MS, 1000).isPresent());
        // 2 s for 40k tokens is as usual: scaled to 1k tokens it reads what is usual there, 200 ms x 10^(log 2.5 / log 100).
        assertNear(sized.atReference(40_000, 2000 * MS, 1000).orElseThrow(), 200 * Math.pow(10, Math.log(2.5) / Math.log(100)),
                   0.1);
        assertTrue(sized.atReference(60_000, 2000 * MS, 1000).isPresent(), "in a class with its own usual latency");
        assertTrue(sized.atReference(100_000, 2000 * MS, 1000).isEmpty(), "beyond the largest known class");
    }

    @Test
    void aWindowWithFewSamplesBeyondThePercentileGivesWayToTheLongRun() {
        // One request a second for ten minutes: 300 ms, but one in twenty ten times slower (a 5% slow mode).
        for (int i = 0; i < 600; i++) {
            now.addAndGet(1000 * MS);
            sized.record(1500, (i % 20 == 0 ? 3000 : 300) * MS);
        }
        // The 30-s window holds 30 samples, two of them slow; three more slow answers arrive in a row.
        for (int i = 0; i < 3; i++) {
            now.addAndGet(1000 * MS);
            sized.record(1500, 3000 * MS);
        }
        // A p92 of the window's 30 would be its 28th: inside the slow mode (3 s), hedging none of the slow requests
        // in time. 30 samples hold 2.4 beyond a p92, under 10: the long run answers, at the fast mode's 300 ms.
        SizedBaseline.Estimate e = sized.percentile(1500, 92).orElseThrow();
        assertEquals(SizedBaseline.Source.LONG_RUN, e.source());
        assertNear(e.nanos(), 300, 0.049);
        // The median needs 20 samples in the window: it holds them, and the window answers (it follows drift).
        assertEquals(SizedBaseline.Source.WINDOW, sized.percentile(1500, 50).orElseThrow().source());
        // At ten requests a second the window holds 300: it answers the p92 too.
        for (int i = 0; i < 300; i++) {
            now.addAndGet(100 * MS);
            sized.record(1500, 300 * MS);
        }
        assertEquals(SizedBaseline.Source.WINDOW, sized.percentile(1500, 92).orElseThrow().source());
    }
    /**
     * A one-size route at two requests a second whose prompts (1.8k and 2.3k tokens) straddle the 2048-token class
     * boundary: 30 s of traffic, 300-445 ms, and three answers 10x slower (5%), all three of 2.3k tokens.
     */
    private void oneSizeAcrossABoundaryWithASlowMode() {
        for (int i = 0; i < 60; i++) {
            now.addAndGet(500 * MS);
            boolean slow = i == 11 || i == 31 || i == 51;
            sized.record(i % 2 == 0 ? 1800 : 2300, (slow ? 3000 : 300 + 5 * (i / 2)) * MS);
        }
    }

    @Test
    void aSizeAtAClassBoundaryIsReadFromBothSidesOfIt() {
        oneSizeAcrossABoundaryWithASlowMode();
        // The 2k-4k class alone holds 30 samples, three of them slow (10%): its p92 would be a slow one, 3 s. The
        // pool needs 125 samples (10 beyond a p92) and takes the 1k-2k class beside it: 60, three slow (5%), and the
        // p92 is a fast answer (the 56th of 60: about 440 ms).
        SizedBaseline.Estimate e = sized.percentile(2300, 92).orElseThrow();
        assertEquals(1, e.radius());
        assertEquals(60, e.samples(), 2);
        assertNear(e.nanos(), 440, 0.06);
        assertNear(sized.cautiousPercentile(2300, 92).orElseThrow().nanos(), 425, 0.06);
        // A class that holds the tail need alone answers alone.
        for (int i = 0; i < 150; i++) {
            now.addAndGet(100 * MS);
            sized.record(2300, (300 + i % 100) * MS);
        }
        assertTrue(sized.percentile(2300, 92).orElseThrow().ownClass());
    }

    @Test
    void theTailNeedPoolsOnlyTheNeighbouringClasses() {
        for (int i = 0; i < 30; i++) {
            sized.record(300, (100 + i) * MS);
            sized.record(10_000, (1000 + 10 * i) * MS);
        }
        // 30 short samples are fewer than a p92's 125, but the other size is five classes away (its shape may differ:
        // prefill dominates long prompts): past the classes beside it, only min-samples pulls a pool further.
        SizedBaseline.Estimate e = sized.percentile(300, 92).orElseThrow();
        assertTrue(e.ownClass());
        assertEquals(30, e.samples(), 0.5);
        assertNear(e.nanos(), 127, 0.049);
    }

    @Test
    void aCautiousPercentileIsABinomialLowerBound() {
        // P(Binomial(20, 0.92) >= 17) = 0.929, >= 18 = 0.788: at 90% confidence the 17th of 20.
        assertEquals(17, SizedBaseline.Distribution.rankAtMost(20, 0.92, 0.9));
        // 1000 samples: 920 +- 8.6, 1.28 standard deviations under the mean.
        assertEquals(909, SizedBaseline.Distribution.rankAtMost(1000, 0.92, 0.9));
        assertEquals(1, SizedBaseline.Distribution.rankAtMost(1, 0.92, 0.9));
        assertEquals(0, SizedBaseline.Distribution.rankAtMost(1, 0.5, 0.9));
        assertEquals(5, SizedBaseline.Distribution.rankAtMost(5, 1, 0.9));
        // On samples: 24 of one size, two of them 10x slow. The nearest rank of a p92 is the 23rd, a slow one; the
        // cautious one is a fast one.
        for (int i = 0; i < 24; i++) {
            sized.record(700, (i == 5 || i == 17 ? 3000 : 300 + 10 * i) * MS);
        }
        assertNear(p(700, 92), 3000, 0.049);
        long cautious = sized.cautiousPercentile(700, 92).orElseThrow().nanos();
        assertTrue(cautious < 600 * MS, cautious / 1e6 + " ms");
    }
}
