package io.hedgerow.exec;

import io.hedgerow.config.ProviderConfig;
import io.hedgerow.config.ProviderLimits;
import io.hedgerow.config.ProviderType;
import io.hedgerow.config.SimSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/** The adaptive bulkhead, with a fake ticker: bursts get in, hangs are contained, the limit follows what comes back. */
class BulkheadsTest {
    private static final long DELAY = Duration.ofMillis(400).toNanos(); // the candidate's hedge delay: overdue at 1 s

    private final AtomicLong now = new AtomicLong();
    private final Bulkheads bulkheads = new Bulkheads(now::get);
    private final ProviderConfig provider = provider(ProviderLimits.DEFAULTS);

    private static ProviderConfig provider(ProviderLimits limits) {
        return new ProviderConfig("p", ProviderType.SIM, Optional.empty(), List.of(), Map.of(), Map.of(),
                                  TimedProvider.TIMEOUTS, SimSettings.DEFAULTS).withLimits(limits);
    }

    private List<Bulkheads.Place> acquire(int n) {
        List<Bulkheads.Place> places = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bulkheads.tryAcquire(provider, DELAY, false).ifPresent(places::add);
        }
        return places;
    }

    @Test
    void aHealthyBurstIsNotShed() {
        // From idle, 500 attempts within the first round trip: far past the starting limit of 64, all young.
        assertThat(acquire(500).size(), is(500));
        assertThat(bulkheads.inFlight("p"), is(500));
    }

    @Test
    void aProviderThatHangsTakesNoMoreThanItsLimitOnceAnAttemptIsOverdue() {
        List<Bulkheads.Place> hung = acquire(100); // a young burst: all in
        assertThat(hung.size(), is(100));
        now.addAndGet(Duration.ofSeconds(1).toNanos()); // none has answered: overdue
        assertThat(acquire(10).size(), is(0));
        // As hung attempts time out and leave, the limit falls (never below 64) and new ones get in up to it.
        for (Bulkheads.Place place : hung.subList(0, 50)) {
            place.outcome(Bulkheads.Outcome.OVERLOAD);
            place.release();
        }
        assertThat(bulkheads.limit("p"), is(Bulkheads.INITIAL));
        assertThat(acquire(20).size(), is(14)); // 50 still hung + 14 = 64
    }

    @Test
    void theLimitGrowsWithHealthyDemandAndComesBackDown() {
        for (int round = 0; round < 3; round++) {
            List<Bulkheads.Place> places = acquire(bulkheads.limit("p"));
            for (Bulkheads.Place place : places) {
                place.answered();
                place.outcome(Bulkheads.Outcome.SUCCESS);
                place.release();
            }
        }
        assertThat(bulkheads.limit("p"), is(216)); // half again per round trip while the demand filled it: 64, 96, 144
        // Quiet again: each lone success takes it 1/32 of the way back towards 64.
        for (int i = 0; i < 200; i++) {
            Bulkheads.Place place = acquire(1).getFirst();
            place.outcome(Bulkheads.Outcome.SUCCESS);
            place.release();
        }
        assertThat(bulkheads.limit("p"), is(Bulkheads.INITIAL));
    }

    @Test
    void answeredAttemptsAreNeverOverdue() {
        List<Bulkheads.Place> streaming = acquire(100);
        streaming.forEach(Bulkheads.Place::answered); // long streams, producing
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(acquire(100).size(), is(100));
    }

    @Test
    void aConfiguredCapIsHard() {
        ProviderConfig small = provider(new ProviderLimits(4, ProviderLimits.DEFAULTS.maxResponseBytes()));
        int admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += bulkheads.tryAcquire(small, DELAY, false).isPresent() ? 1 : 0;
        }
        assertThat(admitted, is(4));
        assertThat(bulkheads.limit("p"), greaterThan(0));
    }
}
