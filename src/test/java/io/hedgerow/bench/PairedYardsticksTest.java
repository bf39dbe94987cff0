package io.hedgerow.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bench's yardsticks on literal samples, computed by hand. */
class PairedYardsticksTest {
    // Two classes: short requests (typical 100) and long ones (typical 1000); request 3 is a short one in a slow mode.
    private final double[] a = {100, 110, 120, 900, 1000, 1100, 1200, 1300};
    private final double[] b = {150, 150, 150, 150, 1500, 1500, 1500, 1500};
    private final double[] typical = {100, 100, 100, 100, 1000, 1000, 1000, 1000};
    private final int[] classes = {0, 0, 0, 0, 1, 1, 1, 1};
    private final PairedYardsticks y = new PairedYardsticks(a, b, typical, classes);

    @Test
    void fixedDelayHedgesWhatIsSlowerThanIt() {
        // d = 1150: only 1200 and 1300 are hedged (load 2/8), and neither is helped (1150 + 1500 > them).
        PairedYardsticks.Outcome o = y.fixed(1150);
        assertEquals(0.25, o.extraLoad(), 1e-12);
        assertArrayEquals(a, o.latency(), 1e-12);
        assertEquals(9.0, o.slowdownPercentile(100), 1e-12);
    }

    @Test
    void bestFixedDelayCannotReachTheShortSlowRequestWithinItsLoad() {
        // At 25% load the lowest useful delay is a's 75th percentile: 1100 (hedging 1200 and 1300), so request 3
        // (900, slowdown 9) is never hedged: the best fixed p100 slowdown stays 9.
        PairedYardsticks.Outcome best = y.bestFixed(0.25, 100);
        assertEquals(9.0, best.slowdownPercentile(100), 1e-12);
        assertEquals(0.25, best.extraLoad(), 1e-12);
    }

    @Test
    void requestAwareOracleHedgesEachClassAtItsOwnQuantile() {
        // 25% load per class: the nearest-rank p75 of each class, 120 for short and 1200 for long. Short: 900 > 120, hedged: min(900, 120 + 150) = 270, slowdown 2.7; long: 1300 > 1200,
        // hedged: min(1300, 2700) = 1300. Worst slowdown: 2.7 (request 3) against 1.3 for the long ones.
        PairedYardsticks.Outcome o = y.requestAware(0.25);
        assertEquals(0.25, o.extraLoad(), 1e-12);
        assertEquals(270, o.latency()[3], 1e-12);
        assertEquals(2.7, o.slowdownPercentile(100), 1e-12);
    }

    @Test
    void percentileIsNearestRank() {
        assertEquals(3, PairedYardsticks.percentile(new double[] {4, 1, 3, 2}, 75), 1e-12);
        assertEquals(4, PairedYardsticks.percentile(new double[] {4, 1, 3, 2}, 99), 1e-12);
        assertEquals(1, PairedYardsticks.percentile(new double[] {4, 1, 3, 2}, 0), 1e-12);
    }
}
