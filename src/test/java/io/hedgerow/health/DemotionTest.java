package io.hedgerow.health;

import io.hedgerow.config.BaselineSettings;
import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.DemotionSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;

/** Preemptive demotion from literal samples on a fake ticker: slow before failing, back when normal again. */
class DemotionTest {
    private final AtomicLong now = new AtomicLong();
    private final List<HealthEvent> events = new ArrayList<>();
    private final CandidateHealth candidate = new CandidateHealth(
            "a/m", BreakerSettings.DEFAULTS, new BaselineSettings(Duration.ofSeconds(10), 20, Duration.ofMinutes(10)),
            new DemotionSettings(3, 0.25, 1.5, 0.02), now::get, events::add);

    /** One sample every 20 ms (50 requests/s) of this latency, for this long. */
    private void traffic(long latencyMillis, Duration duration) {
        long samples = duration.toMillis() / 20;
        for (long i = 0; i < samples; i++) {
            now.addAndGet(Duration.ofMillis(20).toNanos());
            candidate.recordLatency(true, Duration.ofMillis(latencyMillis + i % 7).toNanos());
        }
    }

    @Test
    void aCandidateTurningFiveTimesSlowerIsDemotedWithinSecondsAndRecovers() {
        traffic(300, Duration.ofSeconds(60));
        assertThat(candidate.demoted(), is(false));

        long turnedSlow = now.get();
        long demotedAt = -1;
        for (int step = 0; step < 500 && demotedAt < 0; step++) {
            traffic(1500, Duration.ofMillis(20));
            if (candidate.demoted()) {
                demotedAt = now.get();
            }
        }
        assertThat("demoted", demotedAt > 0, is(true));
        double seconds = (demotedAt - turnedSlow) / 1e9;
        assertThat("demoted after " + seconds + " s", seconds < 5, is(true));
        assertThat(candidate.demotionReason(), containsString("x long-run"));

        // Slow stays demoted; it does not flap.
        traffic(1500, Duration.ofSeconds(5));
        assertThat(candidate.demoted(), is(true));

        // Back to normal (probes keep measuring it): it recovers once the slow samples leave the window.
        traffic(300, Duration.ofSeconds(12));
        assertThat(candidate.demoted(), is(false));
        assertThat(events.stream().map(Object::getClass).toList(),
                   contains(HealthEvent.Demoted.class, HealthEvent.Recovered.class));
        assertThat(events.getFirst(), instanceOf(HealthEvent.Demoted.class));
    }

    @Test
    void aShortSpikeBelowTheShareThresholdDoesNotDemote() {
        traffic(300, Duration.ofSeconds(60));
        traffic(1500, Duration.ofMillis(1000));
        traffic(300, Duration.ofSeconds(5));
        assertThat(candidate.demoted(), is(false));
        assertThat(events.isEmpty(), is(true));
    }

    @Test
    void nothingIsDecidedBeforeThereIsALongRunBaseline() {
        traffic(5000, Duration.ofMillis(200));
        assertThat(candidate.demoted(), is(false));
    }

    /** One sample every 20 ms of this latency in microseconds (sub-millisecond upstreams), for this long. */
    private void micros(long latencyMicros, Duration duration) {
        for (long i = 0; i < duration.toMillis() / 20; i++) {
            now.addAndGet(Duration.ofMillis(20).toNanos());
            candidate.recordLatency(false, latencyMicros * 1000 + i % 7);
        }
    }

    @Test
    void relativeNoiseInTinyLatenciesNeverDemotes() {
        // A sub-millisecond upstream: JIT warm-up makes the first minute 14 ms, then a GC-heavy spell 50 ms. Four
        // times slower, and still nothing any client would notice.
        micros(14_000, Duration.ofSeconds(60));
        micros(50_000, Duration.ofSeconds(20));
        micros(400, Duration.ofSeconds(20));
        assertThat(candidate.demoted(), is(false));
        assertThat(events, is(List.of()));
    }

    @Test
    void eachMeasureHasItsOwnVerdict() {
        // Streams start in 300 ms while whole answers go from 2 s to 10 s: the whole-answer verdict is "slow" and
        // stays so; the first-token verdict is "fine" and stays so, however the two kinds of request alternate.
        for (int i = 0; i < 3000; i++) {
            now.addAndGet(Duration.ofMillis(20).toNanos());
            candidate.recordLatency(true, Duration.ofMillis(300 + i % 7).toNanos());
            candidate.recordLatency(false, Duration.ofMillis(2000 + i % 7).toNanos());
        }
        List<Boolean> verdicts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            now.addAndGet(Duration.ofMillis(20).toNanos());
            candidate.recordLatency(false, Duration.ofMillis(10_000 + i % 7).toNanos());
            verdicts.add(candidate.demoted(false));
            candidate.recordLatency(true, Duration.ofMillis(300 + i % 7).toNanos());
            verdicts.add(candidate.demoted(false));
        }
        assertThat(candidate.demoted(false), is(true));
        assertThat(candidate.demoted(true), is(false));
        // Once demoted, never "recovered" by a sample of the other measure.
        int first = verdicts.indexOf(true);
        assertThat(verdicts.subList(first, verdicts.size()).contains(false), is(false));
        assertThat(events.stream().filter(e -> e instanceof HealthEvent.Recovered).count(), is(0L));
    }

    @Test
    void recoveryIsJudgedAgainstThePastItWasDemotedFromNotTheDriftedLongRun() {
        // Ten minutes of 300 ms, then slow for good at 1.5 s, still taking traffic (a single-candidate route, or every
        // candidate as slow). Its own slow samples pull its long-run median up (half-life 10 min): judged against
        // that, it would be declared "recovered" while as slow as ever.
        traffic(300, Duration.ofMinutes(10));
        traffic(1500, Duration.ofSeconds(10));
        assertThat(candidate.demoted(), is(true));
        for (int minute = 0; minute < 15; minute++) {
            traffic(1500, Duration.ofMinutes(1));
            assertThat("minute " + minute, candidate.demoted(), is(true));
        }
        assertThat(candidate.baseline(true).longRunMedianNanos().orElseThrow(),
                   is(org.hamcrest.Matchers.greaterThan(Duration.ofMillis(1400).toNanos())));
        // Back at its old speed, it is back.
        traffic(300, Duration.ofSeconds(30));
        assertThat(candidate.demoted(), is(false));
    }
}
