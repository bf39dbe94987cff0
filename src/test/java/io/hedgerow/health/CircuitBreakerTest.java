package io.hedgerow.health;

import io.hedgerow.config.BreakerSettings;

import io.hedgerow.health.BreakerState.Kind;
import io.hedgerow.health.HealthEvent.BreakerTransition;
import io.hedgerow.model.FailureKind;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The breaker's state machine with a fake ticker: thresholds, the sliding window, lazy half-open, probes, events. */
class CircuitBreakerTest {
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong();
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();

    private CircuitBreaker breaker(BreakerSettings settings) {
        return new CircuitBreaker("p/m", settings, now::get, events::add);
    }

    /** 30s window, 5 calls, 0.5, open 30s, 1 probe, 2 to close. */
    private static final BreakerSettings SETTINGS = new BreakerSettings(Duration.ofSeconds(30), 5, 0.5,
                                                                        Duration.ofSeconds(30), 1, 2);

    private CircuitBreaker breaker() {
        return breaker(SETTINGS);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private static void fail(CircuitBreaker b, int times) {
        for (int i = 0; i < times; i++) {
            assertTrue(b.tryAcquire());
            b.onFailure();
        }
    }

    private static void succeed(CircuitBreaker b, int times) {
        for (int i = 0; i < times; i++) {
            assertTrue(b.tryAcquire());
            b.onSuccess();
        }
    }

    /** Opens the breaker with five failures. */
    private static void open(CircuitBreaker b) {
        fail(b, 5);
        assertThat(b.state().kind(), is(Kind.OPEN));
    }

    @Test
    void opensAtTheRatioOnlyAfterMinimumCalls() {
        CircuitBreaker b = breaker();
        fail(b, 4);
        BreakerState s = b.state();
        assertThat(s.kind(), is(Kind.CLOSED));
        assertThat(s.callsInWindow(), is(4L));
        assertThat(s.failureRatio(), is(1.0));
        fail(b, 1);
        assertThat(b.state().kind(), is(Kind.OPEN));
    }

    @Test
    void opensWhenTheRatioIsReachedNotBefore() {
        CircuitBreaker b = breaker();
        succeed(b, 3);
        fail(b, 2); // 2 / 5 = 0.4
        assertThat(b.state().kind(), is(Kind.CLOSED));
        assertThat(b.state().failureRatio(), is(0.4));
        fail(b, 1); // 3 / 6 = 0.5
        assertThat(b.state().kind(), is(Kind.OPEN));
        assertThat(events, contains(new BreakerTransition("p/m", Kind.CLOSED, Kind.OPEN,
                                                          "failure ratio 0.50 >= 0.50 over 6 calls in 30s")));
    }

    @Test
    void successesAloneNeverOpen() {
        CircuitBreaker b = breaker();
        succeed(b, 100);
        assertThat(b.state().kind(), is(Kind.CLOSED));
        assertThat(b.state().callsInWindow(), is(100L));
        assertThat(b.state().failuresInWindow(), is(0L));
    }

    @Test
    void neutralOutcomesDoNotCount() {
        CircuitBreaker b = breaker();
        for (int i = 0; i < 20; i++) {
            assertTrue(b.tryAcquire());
            b.onNeutral();
        }
        for (FailureKind kind : List.of(FailureKind.RATE_LIMITED, FailureKind.AUTH, FailureKind.BAD_REQUEST,
                                        FailureKind.CONTEXT_LENGTH, FailureKind.CONTENT_FILTER,
                                        FailureKind.CANCELLED)) {
            assertTrue(b.tryAcquire());
            b.onFailure(kind);
        }
        assertThat(b.state().callsInWindow(), is(0L));
        fail(b, 4);
        assertThat(b.state().kind(), is(Kind.CLOSED));
        assertTrue(b.tryAcquire());
        b.onFailure(FailureKind.TIMEOUT); // counts: the fifth failure
        assertThat(b.state().kind(), is(Kind.OPEN));
    }

    @Test
    void whichFailuresCount() {
        EnumSet<FailureKind> counted = EnumSet.noneOf(FailureKind.class);
        for (FailureKind kind : FailureKind.values()) {
            if (CircuitBreaker.counts(kind)) {
                counted.add(kind);
            }
        }
        assertThat(counted, is(EnumSet.of(FailureKind.SERVER_ERROR, FailureKind.CONNECTION, FailureKind.TIMEOUT,
                                          FailureKind.BAD_RESPONSE, FailureKind.NOT_FOUND)));
    }

    @Test
    void oldFailuresSlideOutOfTheWindow() {
        CircuitBreaker b = breaker(); // 30s window in 3s buckets
        fail(b, 4);
        advance(Duration.ofSeconds(27)); // the t=0 bucket is still the oldest live one
        assertThat(b.state().callsInWindow(), is(4L));
        advance(Duration.ofSeconds(3)); // t=30s: it has left
        assertThat(b.state().callsInWindow(), is(0L));
        fail(b, 1);
        assertThat(b.state().kind(), is(Kind.CLOSED));
        assertThat(b.state().callsInWindow(), is(1L));
    }

    @Test
    void failuresSpreadAcrossTheWindowAddUp() {
        CircuitBreaker b = breaker();
        for (int i = 0; i < 4; i++) {
            fail(b, 1);
            advance(Duration.ofSeconds(6));
        }
        assertThat(b.state().callsInWindow(), is(4L)); // t=24s: failures at 0, 6, 12, 18 all live
        fail(b, 1);
        assertThat(b.state().kind(), is(Kind.OPEN));
    }

    @Test
    void openRefusesUntilOpenForThenTurnsHalfOpenLazily() {
        CircuitBreaker b = breaker();
        open(b);
        assertFalse(b.tryAcquire());
        assertThat(b.retryIn(), is(Optional.of(Duration.ofSeconds(30))));
        advance(Duration.ofMillis(29_999));
        assertFalse(b.tryAcquire());
        assertThat(b.retryIn(), is(Optional.of(Duration.ofMillis(1))));
        advance(Duration.ofMillis(1));
        // Nothing moves by itself: the snapshot still says open, with no time left.
        assertThat(b.state().kind(), is(Kind.OPEN));
        assertThat(b.state().retryIn(), is(Duration.ZERO));
        assertThat(b.retryIn(), is(Optional.of(Duration.ZERO)));
        assertTrue(b.tryAcquire());
        assertThat(b.state().kind(), is(Kind.HALF_OPEN));
        assertThat(b.state().probesInFlight(), is(1));
        assertThat(b.retryIn(), is(Optional.empty()));
    }

    @Test
    void halfOpenLimitsProbesInFlight() {
        CircuitBreaker b = breaker(new BreakerSettings(Duration.ofSeconds(30), 5, 0.5, Duration.ofSeconds(30), 2, 3));
        open(b);
        advance(Duration.ofSeconds(30));
        assertTrue(b.tryAcquire());
        assertTrue(b.tryAcquire());
        assertFalse(b.tryAcquire());
        assertThat(b.state().probesInFlight(), is(2));
        b.onNeutral(); // a cancelled probe gives its slot back and counts nothing
        assertThat(b.state().probesInFlight(), is(1));
        assertThat(b.state().probeSuccesses(), is(0));
        assertTrue(b.tryAcquire());
        assertFalse(b.tryAcquire());
        b.onSuccess();
        assertThat(b.state().probeSuccesses(), is(1));
        assertTrue(b.tryAcquire());
    }

    @Test
    void closesAfterEnoughProbeSuccessesWithAFreshWindow() {
        CircuitBreaker b = breaker();
        open(b);
        advance(Duration.ofSeconds(30));
        assertTrue(b.tryAcquire());
        b.onSuccess();
        assertThat(b.state().kind(), is(Kind.HALF_OPEN));
        assertThat(b.state().probeSuccesses(), is(1));
        assertTrue(b.tryAcquire());
        b.onSuccess();
        assertThat(b.state().kind(), is(Kind.CLOSED));
        assertThat(b.state().callsInWindow(), is(0L)); // the failures that opened it are forgotten
        fail(b, 4);
        assertThat(b.state().kind(), is(Kind.CLOSED));
    }

    @Test
    void aFailedProbeReopensForLongerUpToTheCap() {
        CircuitBreaker b = breaker();
        open(b);
        List<Duration> openTimes = new ArrayList<>();
        openTimes.add(b.retryIn().orElseThrow());
        Duration wait = openTimes.getFirst();
        for (int i = 0; i < 5; i++) {
            advance(wait);
            assertTrue(b.tryAcquire());
            b.onFailure();
            assertThat(b.state().kind(), is(Kind.OPEN));
            wait = b.retryIn().orElseThrow();
            openTimes.add(wait);
        }
        // Twice open-for at most: a dead upstream is still probed often enough to be found as soon as it is back.
        assertThat(openTimes, contains(Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(1),
                                       Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofMinutes(1)));
        assertThat(b.state().reopenCount(), is(5));

        // Closing resets the growth.
        advance(wait);
        succeed(b, 2);
        assertThat(b.state().kind(), is(Kind.CLOSED));
        open(b);
        assertThat(b.retryIn(), is(Optional.of(Duration.ofSeconds(30))));
    }

    @Test
    void outcomesOfCallsAdmittedBeforeOpeningAreIgnored() {
        CircuitBreaker b = breaker();
        for (int i = 0; i < 3; i++) {
            assertTrue(b.tryAcquire()); // three calls still in flight when it opens
        }
        open(b);
        advance(Duration.ofSeconds(10));
        b.onSuccess();
        b.onFailure();
        b.onNeutral();
        assertThat(b.state().kind(), is(Kind.OPEN));
        assertThat(b.retryIn(), is(Optional.of(Duration.ofSeconds(20))));
        advance(Duration.ofSeconds(20));
        assertTrue(b.tryAcquire());
        b.onSuccess(); // the probe
        b.onSuccess(); // a straggler beyond the probes handed out: ignored
        assertThat(b.state().kind(), is(Kind.HALF_OPEN));
        assertThat(b.state().probeSuccesses(), is(1));
        assertThat(b.state().probesInFlight(), is(0));
    }

    @Test
    void anOutcomeCountsOnlyInThePhaseThatAdmittedItsCall() {
        CircuitBreaker b = breaker();
        CircuitBreaker.Permit early = b.acquire().orElseThrow(); // a slow call, admitted while closed
        open(b);
        advance(Duration.ofSeconds(30));
        CircuitBreaker.Permit probe = b.acquire().orElseThrow();
        assertThat(b.state().kind(), is(Kind.HALF_OPEN));

        // The slow call ends now: it says nothing about the probes.
        b.onSuccess(early);
        b.onFailure(early, FailureKind.SERVER_ERROR);
        assertThat(b.state().kind(), is(Kind.HALF_OPEN));
        assertThat(b.state().probeSuccesses(), is(0));
        assertThat(b.state().probesInFlight(), is(1));

        b.onSuccess(probe);
        assertThat(b.state().probeSuccesses(), is(1));
        succeed(b, 1);
        assertThat(b.state().kind(), is(Kind.CLOSED));
        // And a straggler from an earlier closed phase does not count in this one.
        b.onFailure(early, FailureKind.SERVER_ERROR);
        assertThat(b.state().callsInWindow(), is(0L));
    }

    @Test
    void aHalfOpenTrialWhoseOutcomeIsLostStartsAfreshAfterOpenFor() {
        CircuitBreaker b = breaker();
        open(b);
        advance(Duration.ofSeconds(30));
        CircuitBreaker.Permit lost = b.acquire().orElseThrow(); // its outcome never comes
        advance(Duration.ofSeconds(29));
        assertThat(b.acquire(), is(Optional.empty()));
        advance(Duration.ofSeconds(1));
        CircuitBreaker.Permit next = b.acquire().orElseThrow();
        assertThat(b.state().kind(), is(Kind.HALF_OPEN));
        b.onSuccess(lost); // should it turn up after all: stale
        assertThat(b.state().probeSuccesses(), is(0));
        b.onSuccess(next);
        succeed(b, 1);
        assertThat(b.state().kind(), is(Kind.CLOSED));
    }

    @Test
    void everyTransitionIsReportedInOrder() {
        CircuitBreaker b = breaker();
        open(b);
        advance(Duration.ofSeconds(30));
        assertTrue(b.tryAcquire());
        b.onFailure();
        advance(Duration.ofMinutes(1));
        succeed(b, 2);
        assertThat(events, contains(
                new BreakerTransition("p/m", Kind.CLOSED, Kind.OPEN, "failure ratio 1.00 >= 0.50 over 5 calls in 30s"),
                new BreakerTransition("p/m", Kind.OPEN, Kind.HALF_OPEN, "open for 30s elapsed"),
                new BreakerTransition("p/m", Kind.HALF_OPEN, Kind.OPEN, "probe failed; open for 1m"),
                new BreakerTransition("p/m", Kind.OPEN, Kind.HALF_OPEN, "open for 1m elapsed"),
                new BreakerTransition("p/m", Kind.HALF_OPEN, Kind.CLOSED, "2 probe successes")));
    }

    @Test
    void aThrowingListenerDoesNotBreakTheBreaker() {
        AtomicInteger calls = new AtomicInteger();
        CircuitBreaker b = new CircuitBreaker("p/m", BreakerSettings.DEFAULTS, now::get, event -> {
            calls.incrementAndGet();
            throw new IllegalStateException("listener bug");
        });
        open(b); // the throw happens inside the fifth onFailure()
        assertFalse(b.tryAcquire());
        advance(Duration.ofSeconds(30));
        assertTrue(b.tryAcquire());
        b.onSuccess();
        assertTrue(b.tryAcquire());
        b.onSuccess();
        assertThat(b.state().kind(), is(Kind.CLOSED));
        assertThat(calls.get(), is(3));
    }

    @Test
    void settingsAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BreakerSettings(
                Duration.ofSeconds(30), 5, 1.5, Duration.ofSeconds(30), 1, 2));
        assertThat(e.getMessage(), is("breaker.failure-ratio: 1.5 (expected: more than 0, at most 1)"));
        e = assertThrows(IllegalArgumentException.class, () -> new BreakerSettings(
                Duration.ZERO, 5, 0.5, Duration.ofSeconds(30), 1, 2));
        assertThat(e.getMessage(), is("breaker.window: 0ms (expected: more than zero, at most 7d)"));
        e = assertThrows(IllegalArgumentException.class, () -> new BreakerSettings(
                Duration.ofSeconds(30), 5, 0.5, Duration.ofSeconds(30), 0, 2));
        assertThat(e.getMessage(), is("breaker.half-open-probes: 0 (expected: at least 1)"));
    }

    @Test
    void concurrentProbesNeverExceedTheLimit() throws Exception {
        CircuitBreaker b = breaker(new BreakerSettings(Duration.ofSeconds(30), 5, 0.5, Duration.ofSeconds(30), 3, 3));
        open(b);
        advance(Duration.ofSeconds(30));
        AtomicInteger admitted = new AtomicInteger();
        Concurrently.run(500, i -> {
            if (b.tryAcquire()) {
                admitted.incrementAndGet();
            }
        });
        assertThat(admitted.get(), is(3));
        assertThat(b.state().probesInFlight(), is(3));
        assertThat(events.stream().filter(e -> e instanceof BreakerTransition t && t.to() == Kind.HALF_OPEN).count(),
                   is(1L));
    }

    @Test
    void concurrentOutcomesAreAllCountedAndOpenOnce() throws Exception {
        CircuitBreaker counting = breaker(new BreakerSettings(Duration.ofSeconds(30), 1_000_000, 0.5,
                                                              Duration.ofSeconds(30), 1, 2));
        Concurrently.run(100, i -> {
            for (int k = 0; k < 100; k++) {
                assertTrue(counting.tryAcquire());
                if (k % 2 == 0) {
                    counting.onSuccess();
                } else {
                    counting.onFailure();
                }
            }
        });
        assertThat(counting.state().callsInWindow(), is(10_000L));
        assertThat(counting.state().failuresInWindow(), is(5_000L));
        assertThat(events, empty());

        CircuitBreaker opening = breaker();
        Concurrently.run(100, i -> {
            if (opening.tryAcquire()) {
                opening.onFailure();
            }
        });
        assertThat(opening.state().kind(), is(Kind.OPEN));
        assertThat(events.size(), is(1));
    }
}
