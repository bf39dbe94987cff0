package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.DemotionSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** A candidate against the one after it in a route, from literal samples on a fake ticker. */
class RivalryTest {
    private final AtomicLong now = new AtomicLong();
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();
    private final BaselineSettings baseline = new BaselineSettings(Duration.ofSeconds(20), 20, Duration.ofMinutes(10));
    private final CandidateHealth first = candidate("a/m");
    private final CandidateHealth second = candidate("b/m");

    private CandidateHealth second() {
        return second;
    }

    private CandidateHealth candidate(String label) {
        return new CandidateHealth(label, BreakerSettings.DEFAULTS, baseline, DemotionSettings.DEFAULTS, now::get,
                                   events::add);
    }

    /** 20 samples a second of each, for this long; {@code firstMillis} may change with the second. */
    private void traffic(java.util.function.IntUnaryOperator firstMillis, long secondMillis, int seconds) {
        for (int s = 0; s < seconds; s++) {
            for (int i = 0; i < 20; i++) {
                now.addAndGet(Duration.ofMillis(50).toNanos());
                first.recordLatency(false, Duration.ofMillis(firstMillis.applyAsInt(s) + i % 7).toNanos());
                second.recordLatency(false, Duration.ofMillis(secondMillis + i % 7).toNanos());
            }
            first.outpacedBy(second, false);
        }
    }

    @Test
    void aCandidateThatDriftsToTwiceItsNeighboursLatencyGivesUpItsPlace() {
        traffic(s -> 300, 450, 120);
        assertThat(first.outpacedBy(second, false), is(false));
        // 300 ms to 1.5 s over two minutes: against the neighbour's 450 ms it is clearly slower once past 900 ms,
        // however far its own long-run baseline has drifted along.
        traffic(s -> 300 + 10 * s, 450, 120);
        assertThat(first.outpacedBy(second, false), is(true));
        assertThat(first.demoted(), is(true));
        assertThat(first.demotionReason(), containsString("b/m's 4"));
        assertThat(events.stream().filter(e -> e instanceof HealthEvent.Outpaced).count(), is(1L));
        // Back to 300 ms: it takes its place back.
        traffic(s -> 300, 450, 20);
        assertThat(first.outpacedBy(second, false), is(false));
        assertThat(events.stream().map(Object::getClass)
                           .filter(c -> c == HealthEvent.Outpaced.class || c == HealthEvent.Regained.class).toList(),
                   contains(HealthEvent.Outpaced.class, HealthEvent.Regained.class));
    }

    @Test
    void aGradualDegradationIsCaughtAsSoonAsTheRecentWindowShowsIt() {
        // 20 s of history (a router restarted not long before), then 300 ms to 1.5 s over a minute (20 ms a
        // second): twice the neighbour's 450 ms at second 30. The recent window (20 s) shows a median past 900 ms
        // about 10 s later. Its own long-run median, young, follows the ramp to ~1.2x the neighbour's by then: taken
        // for their usual relation, it would push the bar out by as much again.
        traffic(s -> 300, 450, 20);
        int flipped = -1;
        for (int s = 0; s < 60 && flipped < 0; s++) {
            int second = s;
            traffic(x -> 300 + 20 * second, 450, 1);
            if (first.outpacedBy(second(), false)) {
                flipped = s;
            }
        }
        assertThat("gave up its place at second " + flipped, flipped >= 30 && flipped <= 43, is(true));
    }

    @Test
    void aCandidateSlowerByNatureKeepsItsPlace() {
        // A large model before a small one: 3 s against 400 ms for ten minutes is how they compare, not a change.
        traffic(s -> 3000, 400, 600);
        assertThat(first.outpacedBy(second, false), is(false));
        // Twice slower than that usual relation is a change.
        traffic(s -> 7000, 400, 60);
        assertThat(first.outpacedBy(second, false), is(true));
    }

    @Test
    void tinyLatenciesAreNeverCompared() {
        traffic(s -> 40, 5, 120);
        assertThat(first.outpacedBy(second, false), is(false));
    }
}
