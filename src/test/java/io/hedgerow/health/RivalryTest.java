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

    /**
     * A second of traffic: 20 samples of the first candidate; the neighbour, which only serves hedges, is sampled
     * only in the seconds {@code bWins} says, once, with the latency {@code bMillis} gives for its n-th sample.
     */
    private int sparse(int second, int firstMillis, java.util.function.IntPredicate bWins,
                       java.util.function.IntUnaryOperator bMillis, int bSamples) {
        for (int i = 0; i < 20; i++) {
            now.addAndGet(Duration.ofMillis(50).toNanos());
            first.recordLatency(false, Duration.ofMillis(firstMillis + i % 7).toNanos());
            if (i == 10 && bWins.test(second)) {
                second().recordLatency(false, Duration.ofMillis(bMillis.applyAsInt(bSamples++)).toNanos());
            }
        }
        return bSamples;
    }

    @Test
    void aGradualDegradationIsCaughtWhenTheNeighbourIsSampledOnlyByItsHedgeWins() {
        // The health bench's situation: a router 30 s old; the neighbour serves only hedges, so it is sampled when
        // it wins one: once in the healthy half minute (a fast answer, as wins are), then more often as the
        // candidate slows (every 5 s, from second 30 every 2 s, from second 45 every second). The candidate goes
        // from 300 ms to 1.5 s over a minute, twice the neighbour's ~440 ms at second 30; its 20 s window's median
        // shows it ~10 s later. Before, nothing was judged until the neighbour's long run held min-samples (second
        // 49), and the relation was first taken then, from the candidate's long run dragged to 1.2x the neighbour's.
        int b = 0;
        for (int s = -30; s < 0; s++) {
            b = sparse(s, 300, x -> x == -20, n -> 200, b);
        }
        int flipped = -1;
        for (int s = 0; s < 60 && flipped < 0; s++) {
            b = sparse(s, 300 + 20 * s, x -> x >= 45 || x >= 30 && x % 2 == 0 || x % 5 == 0,
                       n -> 380 + 40 * (n % 4), b);
            if (first.outpacedBy(second(), false)) {
                flipped = s;
            }
        }
        assertThat("gave up its place at second " + flipped, flipped >= 30 && flipped <= 45, is(true));
    }

    @Test
    void aHealthyCandidateKeepsItsPlaceAgainstANeighbourSampledOnlyByItsHedgeWins() {
        // Hedge wins are the neighbour's fast answers (150-250 ms against its real 450 ms), a few a minute: the
        // relation taken from its first few samples is a high bar, and the candidate's 300 ms stays far under it.
        int b = 0;
        for (int s = 0; s < 600; s++) {
            b = sparse(s, 300, x -> x % 15 == 7, n -> 150 + 25 * (n % 5), b);
            assertThat("behind at second " + s, first.outpacedBy(second(), false), is(false));
        }
    }

    @Test
    void aFewSlowFirstSamplesOfTheNeighbourDoNotPushACandidateSlowerByNatureOut() {
        // A large model (3 s) before a small one (400 ms) whose first five answers were slow (600 ms, 1.5x its
        // usual): their relation, taken from those, is 5x, not 7.5x; the neighbour's long run then settles at
        // 400 ms and the bar at 2 x 5 x 400 ms = 4 s, still above the candidate's usual 3 s.
        int b = 0;
        for (int s = 0; s < 600; s++) {
            b = sparse(s, 3000, x -> x % 3 == 0, n -> n < 5 ? 600 : 380 + 10 * (n % 5), b);
            assertThat("behind at second " + s, first.outpacedBy(second(), false), is(false));
        }
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
