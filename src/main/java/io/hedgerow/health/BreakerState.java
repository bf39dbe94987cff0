package io.hedgerow.health;

import java.time.Duration;
import java.util.Objects;

/**
 * A snapshot of a {@link CircuitBreaker}, for status pages, metrics and routing. Immutable; it does not change
 * when the breaker does.
 *
 * @param kind             closed, open or half-open
 * @param callsInWindow    counted calls (successes and failures, not neutral outcomes) in the closed window;
 *                         0 unless closed
 * @param failuresInWindow failures among them
 * @param failureRatio     {@code failuresInWindow / callsInWindow}, 0 when there are none
 * @param probesInFlight   half-open: probes let through and not yet reported
 * @param probeSuccesses   half-open: probe successes so far
 * @param retryIn          open: time left before a probe is let through ({@link Duration#ZERO} when the next
 *                         {@code tryAcquire} will let one through); otherwise zero
 * @param reopenCount      re-opens after failed probes since the breaker was last closed
 */
public record BreakerState(Kind kind,
                           long callsInWindow,
                           long failuresInWindow,
                           double failureRatio,
                           int probesInFlight,
                           int probeSuccesses,
                           Duration retryIn,
                           int reopenCount) {

    public BreakerState {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(retryIn, "retryIn");
    }

    /** The breaker's states, and the one table of legal moves between them. */
    public enum Kind {
        /** Calls flow; outcomes are counted in a sliding window. */
        CLOSED,
        /** Calls are refused until a time has passed. */
        OPEN,
        /** A few probe calls are let through to see whether the upstream is back. */
        HALF_OPEN;

        /**
         * The legal transitions: closed to open (failure ratio reached), open to half-open (open time passed),
         * half-open to closed (enough probe successes) or back to open (a probe failed).
         */
        public boolean canMoveTo(Kind next) {
            return switch (this) {
                case CLOSED -> next == OPEN;
                case OPEN -> next == HALF_OPEN;
                case HALF_OPEN -> next == CLOSED || next == OPEN;
            };
        }
    }
}
