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
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * Slowness judged against what is usual for the request, on a fake ticker: a coding agent's context growing from
 * 1k to 60k tokens is not a provider turning slow; a provider twice as slow as usual for each size is, whatever the
 * mix; and two candidates are compared on the same scale whatever sizes each has served.
 */
class RequestAwareHealthTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong now = new AtomicLong();
    private final List<HealthEvent> events = new ArrayList<>();
    private final BaselineSettings baseline = new BaselineSettings(Duration.ofSeconds(10), 20, Duration.ofMinutes(10));

    private CandidateHealth candidate(String label) {
        return new CandidateHealth(label, BreakerSettings.DEFAULTS, baseline, new DemotionSettings(3, 0.25, 1.5, 0.02),
                                   now::get, events::add);
    }

    /** Time to first token of a prompt: 300 ms plus 50 ms per 1k tokens, times {@code factor}, a little jitter. */
    private static long latency(long tokens, double factor, long i) {
        return Math.round((300 + 50 * tokens / 1000.0 + i % 7) * factor * MS);
    }

    /** One request every 20 ms for {@code duration}, of prompts {@code tokens} long. */
    private void traffic(CandidateHealth c, long tokens, double factor, Duration duration) {
        for (long i = 0; i < duration.toMillis() / 20; i++) {
            now.addAndGet(20 * MS);
            c.recordLatency(true, tokens, latency(tokens, factor, i));
        }
    }

    @Test
    void aGrowingContextIsNotASlowProvider() {
        CandidateHealth c = candidate("a/m");
        LatencyBaseline blind = new LatencyBaseline(baseline, now::get);
        Demotion blindVerdict = new Demotion("blind", Measure.FIRST_TOKEN, c.demotion(true).settings(), e -> { });
        // A minute of 1k-token prompts (350 ms), then the agent's context has grown to 60k tokens (3.3 s each).
        for (long tokens : new long[] {1_000, 60_000}) {
            for (long i = 0; i < (tokens == 1_000 ? 3000 : 500); i++) {
                now.addAndGet(20 * MS);
                long nanos = latency(tokens, 1, i);
                c.recordLatency(true, tokens, nanos);
                blind.record(nanos);
                blindVerdict.update(blind);
            }
        }
        // A size-blind baseline calls it 9x slower than its long run, and demotes it.
        assertThat(blindVerdict.demoted(), is(true));
        // Judged for its size, it is as usual: what is usual for 60k tokens is learned within a few samples.
        assertThat(c.demoted(), is(false));
        assertThat(events.isEmpty(), is(true));
        assertThat(c.sized(true).usualNanos(60_000).orElseThrow() / 1e6, closeTo(3300, 3300 * 0.05));
        assertThat(c.sized(true).usualNanos(1_000).orElseThrow() / 1e6, closeTo(350, 350 * 0.05));
        assertThat(c.last(true).orElseThrow().slowdown().orElseThrow(), closeTo(1.0, 0.06));
    }

    @Test
    void twiceAsSlowForItsSizeIsSlowWhateverTheMix() {
        CandidateHealth c = candidate("a/m");
        for (int minute = 0; minute < 2; minute++) {
            traffic(c, 500, 1, Duration.ofSeconds(20));
            traffic(c, 50_000, 1, Duration.ofSeconds(20));
            traffic(c, 8_000, 1, Duration.ofSeconds(20));
        }
        assertThat(c.demoted(), is(false));
        // Now every size takes 3.5x what is usual for it, the mix unchanged: demoted within seconds.
        long slowFrom = now.get();
        for (int step = 0; step < 100 && !c.demoted(); step++) {
            traffic(c, step % 2 == 0 ? 500 : 50_000, 3.5, Duration.ofMillis(100));
        }
        assertThat(c.demoted(), is(true));
        assertThat((now.get() - slowFrom) / 1e9 < 5, is(true));
        assertThat(c.demotionReason(), containsString("latencies scaled to a 1k-token prompt"));
        assertThat(c.last(true).orElseThrow().slowdown().orElseThrow(), closeTo(3.5, 0.4));
    }

    @Test
    void candidatesAreComparedOnTheSameScaleWhateverSizesTheyServed() {
        // The primary serves the whole mix; the backup only long prompts (they are the ones it is hedged for).
        // Both are as fast as each other for any given size. Size-blind, the backup (long prompts: 3.3 s) would look
        // ten times slower than the primary (1k tokens: 350 ms), which could then turn three times slower and still
        // keep its place.
        CandidateHealth first = candidate("a/m");
        CandidateHealth second = candidate("b/m");
        for (int round = 0; round < 30; round++) {
            traffic(first, 1_000, 1, Duration.ofSeconds(1));
            traffic(first, 60_000, 1, Duration.ofSeconds(1));
            traffic(second, 60_000, 1, Duration.ofSeconds(1));
            traffic(second, 1_000, 1, Duration.ofMillis(100));
        }
        assertThat(first.outpacedBy(second, true), is(false));
        // The primary turns 3x slower for every size (1k-token prompts at 1 s, still faster than the backup's 3.3 s
        // for 60k): scaled to the same prompt size, it is now clearly slower, and gives up its place.
        traffic(first, 1_000, 3, Duration.ofSeconds(3));
        traffic(second, 60_000, 1, Duration.ofSeconds(3));
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(first.outpacedBy(second, true), is(true));
    }
}
