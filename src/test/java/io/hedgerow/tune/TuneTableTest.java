package io.hedgerow.tune;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which row {@code hedgerow tune} recommends, on literal rows. */
class TuneTableTest {
    private static TuneTable.Row row(String policy, double load, double p99, double slowdown, boolean bound) {
        return new TuneTable.Row(policy, "x", false, load, 500, p99, p99 * 1.5, slowdown, bound);
    }

    private static TuneTable table(TuneTable.Row... rows) {
        return new TuneTable("r", true, "a/m", Optional.of("b/m"), 100, 0, 0.3, List.of(rows));
    }

    @Test
    void theLowestP99WithinTheLoadWins() {
        TuneTable t = table(row("no hedging", 0, 900, 4, false), row("fixed 300ms", 0.2, 500, 2, false),
                            row("fixed 600ms", 0.05, 700, 3, false));
        assertEquals("fixed 600ms", t.best(0.1).policy());
        assertEquals("fixed 300ms", t.best(0.2).policy());
        assertEquals("no hedging", t.best(0.01).policy());
    }

    @Test
    void onMixedSizesEqualP99sAreDecidedByTheSlowdownAndAMeasuredTailBeatsABound() {
        // Seen on the bench's mixed-size route: the p99 is a long prompt's, the same whatever the policy, and no
        // hedging's rests on a lower bound. It was recommended for being first; request-aware p92 cuts the p99
        // slowdown from 9.8 to 3.0.
        TuneTable t = table(row("no hedging", 0, 5130, 9.82, true), row("fixed 4.2s", 0.049, 5130, 9.82, false),
                            row("request-aware p96", 0.076, 5130, 3.32, true),
                            row("request-aware p92", 0.09, 5130, 3.04, false));
        assertEquals("request-aware p92", t.best(0.1).policy());
        assertEquals("fixed 4.2s", t.best(0.05).policy());
    }
}
