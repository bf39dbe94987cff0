package io.hedgerow.health;

import io.hedgerow.config.BreakerSettings;
import io.hedgerow.config.Checks;

import java.time.Duration;
import java.util.Locale;

/**
 * The breaker's state as an immutable value: one small record per state, each saying what every signal does
 * to it. These records are the only place a breaker's behaviour is written; {@link CircuitBreaker} only swaps
 * them atomically and reports the moves (checked against {@link BreakerState.Kind#canMoveTo}).
 *
 * <p>A signal that changes nothing returns the very same phase object, which the breaker takes as "no write
 * needed": refusing a call while open and admitting one while closed cost one volatile read.
 *
 * <p>Each phase carries a {@code serial}, new at every change of kind (and when a half-open trial times out). A
 * permit remembers the serial it was handed out under, and its outcome counts only in that phase: a call admitted
 * while closed that ends while half-open says nothing about the probes, and one that ends after the breaker opened
 * and closed again is stale.
 */
sealed interface BreakerPhase permits BreakerPhase.Closed, BreakerPhase.Open, BreakerPhase.HalfOpen {

    BreakerState.Kind kind();

    /** Which phase this is: the same for every value of one phase, new at every change of kind. */
    long serial();

    /** Asks to make a call now. */
    Step acquire(Rules rules, long now);

    /** A call succeeded. */
    Step success(Rules rules, long now);

    /** A call failed in a way that counts against the upstream. */
    Step failure(Rules rules, long now);

    /** A call ended in a way that says nothing about the upstream's health. */
    Step neutral(Rules rules, long now);

    BreakerState snapshot(Rules rules, long now);

    /**
     * What a signal did.
     *
     * @param next      the phase after it (the same object when nothing changed)
     * @param permitted for {@code acquire}: whether the call may go
     * @param reason    for a change of kind: why, for people
     */
    record Step(BreakerPhase next, boolean permitted, String reason) {
        static Step stay(BreakerPhase phase, boolean permitted) {
            return new Step(phase, permitted, "");
        }

        static Step to(BreakerPhase next, String reason) {
            return new Step(next, true, reason);
        }
    }

    /**
     * The fixed parameters every phase needs.
     *
     * @param settings    the breaker's settings
     * @param origin      ticker time of epoch 0
     * @param bucketNanos width of one window bucket
     * @param name        the breaker's name
     * @param gate        who may probe once the open time is up
     */
    record Rules(BreakerSettings settings, long origin, long bucketNanos, String name, ProbeGate gate) {
        static Rules of(BreakerSettings settings, long origin, String name, ProbeGate gate) {
            return new Rules(settings, origin, Math.max(1, settings.window().toNanos() / CircuitBreaker.BUCKETS),
                             name, gate);
        }

        long epoch(long now) {
            return Math.floorDiv(now - origin, bucketNanos);
        }

        /** {@code openFor × 2^min(reopenCount, 1)}: {@code openFor}, then twice that after each failed probe. */
        long openNanos(int reopenCount) {
            int shift = Math.min(reopenCount, Integer.numberOfTrailingZeros(CircuitBreaker.MAX_OPEN_MULTIPLIER));
            return settings.openFor().toNanos() << shift;
        }
    }

    /** Calls flow; successes and failures go into the sliding window. */
    record Closed(SlidingCounts counts, long serial) implements BreakerPhase {
        static Closed fresh(long serial) {
            return new Closed(SlidingCounts.empty(CircuitBreaker.BUCKETS), serial);
        }

        @Override
        public BreakerState.Kind kind() {
            return BreakerState.Kind.CLOSED;
        }

        @Override
        public Step acquire(Rules rules, long now) {
            return Step.stay(this, true);
        }

        @Override
        public Step success(Rules rules, long now) {
            return Step.stay(new Closed(counts.plus(rules.epoch(now), false), serial), true);
        }

        /** Opens when {@code calls >= minimumCalls} and {@code failures / calls >= failureRatio} in the window. */
        @Override
        public Step failure(Rules rules, long now) {
            long epoch = rules.epoch(now);
            SlidingCounts next = counts.plus(epoch, true);
            long calls = next.calls(epoch);
            long failures = next.failures(epoch);
            BreakerSettings s = rules.settings();
            if (calls >= s.minimumCalls() && failures >= s.failureRatio() * calls) {
                String reason = String.format(Locale.ROOT, "failure ratio %.2f >= %.2f over %d calls in %s",
                                              (double) failures / calls, s.failureRatio(), calls,
                                              Checks.human(s.window()));
                return Step.to(new Open(now + rules.openNanos(0), 0, serial + 1), reason);
            }
            return Step.stay(new Closed(next, serial), true);
        }

        @Override
        public Step neutral(Rules rules, long now) {
            return Step.stay(this, true);
        }

        @Override
        public BreakerState snapshot(Rules rules, long now) {
            long epoch = rules.epoch(now);
            long calls = counts.calls(epoch);
            long failures = counts.failures(epoch);
            double ratio = calls == 0 ? 0 : (double) failures / calls;
            return new BreakerState(kind(), calls, failures, ratio, 0, 0, Duration.ZERO, 0);
        }
    }

    /**
     * Calls are refused until {@code untilNanos}; the first {@code acquire} at or after it that the {@link ProbeGate}
     * lets probe becomes the first probe of the half-open state. Every outcome is ignored: its call was admitted in
     * an earlier phase.
     */
    record Open(long untilNanos, int reopenCount, long serial) implements BreakerPhase {
        @Override
        public BreakerState.Kind kind() {
            return BreakerState.Kind.OPEN;
        }

        @Override
        public Step acquire(Rules rules, long now) {
            if (now - untilNanos < 0 || !rules.gate().mayProbe(rules.name())) {
                return Step.stay(this, false);
            }
            String reason = "open for " + Checks.human(Duration.ofNanos(rules.openNanos(reopenCount))) + " elapsed";
            return Step.to(new HalfOpen(1, 0, reopenCount, serial + 1, now), reason);
        }

        @Override
        public Step success(Rules rules, long now) {
            return Step.stay(this, true);
        }

        @Override
        public Step failure(Rules rules, long now) {
            return Step.stay(this, true);
        }

        @Override
        public Step neutral(Rules rules, long now) {
            return Step.stay(this, true);
        }

        long remainingNanos(long now) {
            return Math.max(0, untilNanos - now);
        }

        @Override
        public BreakerState snapshot(Rules rules, long now) {
            return new BreakerState(kind(), 0, 0, 0, 0, 0, Duration.ofNanos(remainingNanos(now)), reopenCount);
        }
    }

    /**
     * At most {@code halfOpenProbes} calls in flight; {@code successesToClose} successes close the breaker with a
     * fresh window, one failure opens it again for longer. A trial has a timeout ({@code openFor}): when every probe
     * place is taken and the last was handed out that long ago, an outcome was lost (or is very late); the places
     * are handed out afresh under a new serial, so the breaker cannot wedge half-open and the lost outcomes, should
     * they come, count for nothing.
     *
     * @param trialStartNanos when the last probe place was handed out
     */
    record HalfOpen(int inFlight, int successes, int reopenCount, long serial, long trialStartNanos)
            implements BreakerPhase {
        @Override
        public BreakerState.Kind kind() {
            return BreakerState.Kind.HALF_OPEN;
        }

        @Override
        public Step acquire(Rules rules, long now) {
            if (inFlight < rules.settings().halfOpenProbes()) {
                return Step.stay(new HalfOpen(inFlight + 1, successes, reopenCount, serial, now), true);
            }
            if (now - trialStartNanos >= rules.settings().openFor().toNanos()) {
                return Step.stay(new HalfOpen(1, successes, reopenCount, serial + 1, now), true);
            }
            return Step.stay(this, false);
        }

        @Override
        public Step success(Rules rules, long now) {
            if (inFlight == 0) {
                return Step.stay(this, true);
            }
            int total = successes + 1;
            if (total >= rules.settings().successesToClose()) {
                return Step.to(Closed.fresh(serial + 1), total + (total == 1 ? " probe success" : " probe successes"));
            }
            return Step.stay(new HalfOpen(inFlight - 1, total, reopenCount, serial, trialStartNanos), true);
        }

        @Override
        public Step failure(Rules rules, long now) {
            if (inFlight == 0) {
                return Step.stay(this, true);
            }
            int reopens = reopenCount + 1;
            long openNanos = rules.openNanos(reopens);
            return Step.to(new Open(now + openNanos, reopens, serial + 1),
                           "probe failed; open for " + Checks.human(Duration.ofNanos(openNanos)));
        }

        @Override
        public Step neutral(Rules rules, long now) {
            if (inFlight == 0) {
                return Step.stay(this, true);
            }
            return Step.stay(new HalfOpen(inFlight - 1, successes, reopenCount, serial, trialStartNanos), true);
        }

        @Override
        public BreakerState snapshot(Rules rules, long now) {
            return new BreakerState(kind(), 0, 0, 0, inFlight, successes, Duration.ZERO, reopenCount);
        }
    }
}
