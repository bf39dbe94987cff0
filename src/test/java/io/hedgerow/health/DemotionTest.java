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
}
